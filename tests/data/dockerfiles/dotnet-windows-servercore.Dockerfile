# escape=`
FROM mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2022 AS build
WORKDIR C:\src
COPY *.sln .
COPY Timesheets\*.csproj .\Timesheets\
RUN nuget restore
COPY . .
RUN msbuild /p:Configuration=Release /p:OutputPath=C:\out

FROM mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue';"]
WORKDIR C:\inetpub\wwwroot
COPY --from=build C:\out\_PublishedWebsites\Timesheets .
RUN Get-ChildItem C:\inetpub\wwwroot | Select-Object Name
