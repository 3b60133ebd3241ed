# Albs web host. Build: docker build -t albs .   Run: docker run -p 8080:8080 -v albs-data:/var/lib/albs albs
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig albs.sln ./
COPY Albs.Web/Albs.Web.csproj Albs.Web/package.json Albs.Web/package-lock.json Albs.Web/
COPY Albs.Modules/Albs.Modules.csproj Albs.Modules/
RUN dotnet restore Albs.Web/Albs.Web.csproj && cd Albs.Web && npm ci --no-audit --no-fund
COPY Albs.Web/ Albs.Web/
COPY Albs.Modules/ Albs.Modules/
RUN dotnet publish Albs.Web/Albs.Web.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# The server runs git and ssh towards build agents, and rpm tools to read and publish packages.
RUN apt-get update && apt-get install -y --no-install-recommends \
        git openssh-client rpm createrepo-c gnupg ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
COPY platforms/ /app/platforms/
ENV ASPNETCORE_URLS=http://+:8080 \
    Albs__DataDirectory=/var/lib/albs \
    Logging__Console__FormatterName=json
RUN mkdir -p /var/lib/albs && chown app:app /var/lib/albs
VOLUME /var/lib/albs
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "Albs.Web.dll"]
