package dev.faaster.workflows;

import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;

/**
 * Custom search attributes set on every faaster workflow, so operators can filter the Temporal Web
 * UI by tenant, function and version. They must be registered on the namespace (the dev server is
 * started with them; the worker registers them on an existing cluster).
 */
public final class SearchAttributeKeys {

  public static final SearchAttributeKey<String> TENANT = SearchAttributeKey.forKeyword("FaasterTenant");
  public static final SearchAttributeKey<String> FUNCTION = SearchAttributeKey.forKeyword("FaasterFunction");
  public static final SearchAttributeKey<Long> VERSION = SearchAttributeKey.forLong("FaasterVersion");

  /** The attributes of a workflow about one version of a tenant's function. */
  public static SearchAttributes of(String tenantName, String functionName, int version) {
    return SearchAttributes.newBuilder()
        .set(TENANT, tenantName)
        .set(FUNCTION, functionName)
        .set(VERSION, (long) version)
        .build();
  }

  private SearchAttributeKeys() {}
}
