# escape=`
# Everything in one Windows image, following an old wiki page.
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
ADD https://golang.org/dl/go1.21.5.windows-amd64.zip C:\go.zip
RUN Expand-Archive -Path C:\go.zip -DestinationPath C:\ -Force; `
    Remove-Item C:\go.zip
ENV PATH="C:\go\bin;C:\Windows\system32;C:\Windows"
WORKDIR C:\app
COPY . .
RUN go build -o C:\app\portal.exe .
RUN New-Item -ItemType Directory -Path C:\app\logs | Out-Null
CMD C:\app\portal.exe --log-dir C:\app\logs
