# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
RUN Invoke-WebRequest -UseBasicParsing https://tools.example.com/install.ps1 | Invoke-Expression
RUN choco install -y git 7zip
WORKDIR tools
USER ContainerAdministrator
CMD ["powershell"]
