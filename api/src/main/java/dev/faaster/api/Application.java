package dev.faaster.api;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/** The faaster process: HTTP API, and by default the worker and the embedded object store too. */
@OpenAPIDefinition(
    info =
        @Info(
            title = "faaster",
            version = "v1",
            description = "Serverless functions whose first request doesn't wait for a machine to be made."),
    security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer")
public class Application {

  public static void main(String[] args) {
    // Timestamps go to the database as local date-times; every process must agree on the zone.
    java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("UTC"));
    Micronaut.build(args).mainClass(Application.class).banner(false).start();
  }
}
