# syntax=docker/dockerfile:1
# The faaster platform image (api and worker roles; FAASTER_ROLES picks which) and the L2 zone
# cache (docker-compose.yml's zone-cache service runs /app/zone-cache with its own entrypoint).
# Built by docker-compose.yml as faaster:0.1.0.

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven repository is a BuildKit cache: rebuilds don't download the world again.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests install \
 && mvn -B -q -pl api dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/app/lib \
 && cp -r api/target/classes /app/classes \
 && mvn -B -q -pl zone-cache dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/app/zone-cache/lib \
 && cp -r zone-cache/target/classes /app/zone-cache/classes

FROM eclipse-temurin:17.0.15_6-jre
# curl: the compose health checks call /health with it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/faaster --create-home faaster
COPY --from=build /app /app
USER faaster
WORKDIR /var/lib/faaster
# Settings come from environment variables (see api/src/main/resources/application.yml).
ENV FAASTER_DATA_DIR=/var/lib/faaster
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", \
            "-cp", "/app/classes:/app/lib/*", "dev.faaster.api.Application"]
