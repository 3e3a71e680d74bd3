package dev.faaster.packagestore;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Drops the {@code Expect: 100-continue} the S3 client adds to uploads. With the URLConnection HTTP
 * client a PUT that expects a continue now and then fails with "Unexpected end of file from
 * server" when the server closes a reused connection; packages are small enough that sending the
 * body straight away costs nothing.
 */
final class NoExpectContinueInterceptor implements ExecutionInterceptor {

  @Override
  public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes executionAttributes) {
    return context.httpRequest().toBuilder().removeHeader("Expect").build();
  }
}
