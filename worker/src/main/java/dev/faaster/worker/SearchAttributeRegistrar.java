package dev.faaster.worker;

import dev.faaster.workflows.SearchAttributeKeys;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesResponse;
import io.temporal.serviceclient.OperatorServiceStubs;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the namespace knows faaster's search attributes. The dev server is started with them;
 * an existing cluster gets them here. A server that can't register them (the SDK's test server)
 * gets a warning: workflows still run, the Web UI just can't filter by them.
 */
@Singleton
public class SearchAttributeRegistrar {

  private static final Logger log = LoggerFactory.getLogger(SearchAttributeRegistrar.class);

  static final Map<String, IndexedValueType> REQUIRED = new LinkedHashMap<>();

  static {
    REQUIRED.put(SearchAttributeKeys.TENANT.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    REQUIRED.put(SearchAttributeKeys.FUNCTION.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    REQUIRED.put(SearchAttributeKeys.VERSION.getName(), IndexedValueType.INDEXED_VALUE_TYPE_INT);
  }

  private final OperatorServiceStubs operator;
  private final TemporalConfiguration configuration;

  public SearchAttributeRegistrar(OperatorServiceStubs operator, TemporalConfiguration configuration) {
    this.operator = operator;
    this.configuration = configuration;
  }

  /** Returns true when every attribute is registered after the call. */
  public boolean ensureRegistered() {
    try {
      ListSearchAttributesResponse existing =
          operator
              .blockingStub()
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(configuration.namespace()).build());
      Map<String, IndexedValueType> missing = new LinkedHashMap<>(REQUIRED);
      missing.keySet().removeAll(existing.getCustomAttributesMap().keySet());
      if (missing.isEmpty()) {
        return true;
      }
      operator
          .blockingStub()
          .addSearchAttributes(
              AddSearchAttributesRequest.newBuilder()
                  .setNamespace(configuration.namespace())
                  .putAllSearchAttributes(missing)
                  .build());
      log.info("registered search attributes {}", missing.keySet());
      return true;
    } catch (StatusRuntimeException e) {
      log.warn(
          "cannot register search attributes {} on {} ({}); the Web UI won't filter by them",
          REQUIRED.keySet(),
          configuration.address(),
          e.getStatus());
      return false;
    }
  }
}
