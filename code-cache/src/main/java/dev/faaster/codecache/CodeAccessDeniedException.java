package dev.faaster.codecache;

/** A tier refused a tenant a digest the tenant doesn't own (L2 answers 403). Permanent. */
public final class CodeAccessDeniedException extends RuntimeException {

  private final String tier;

  public CodeAccessDeniedException(String tier, String tenantId, String sha256) {
    super(tier + " refuses tenant " + tenantId + " package " + sha256 + ": the tenant does not own it");
    this.tier = tier;
  }

  public String tier() {
    return tier;
  }
}
