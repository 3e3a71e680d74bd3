package dev.faaster.zonecache.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.zonecache.http.ByteRange.Partial;
import dev.faaster.zonecache.http.ByteRange.Unsatisfiable;
import dev.faaster.zonecache.http.ByteRange.Whole;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Range headers against a 1000-byte package (and an empty one). */
class ByteRangeTest {

  static Stream<Arguments> headers() {
    return Stream.of(
        Arguments.of(null, 1000L, new Whole(1000)),
        Arguments.of("bytes=0-99", 1000L, new Partial(0, 100, 1000)),
        Arguments.of("bytes=100-199", 1000L, new Partial(100, 100, 1000)),
        Arguments.of("bytes=999-999", 1000L, new Partial(999, 1, 1000)),
        Arguments.of("bytes=500-", 1000L, new Partial(500, 500, 1000)),
        Arguments.of("bytes=0-", 1000L, new Partial(0, 1000, 1000)),
        Arguments.of("bytes=900-5000", 1000L, new Partial(900, 100, 1000)),
        Arguments.of("bytes=-10", 1000L, new Partial(990, 10, 1000)),
        Arguments.of("bytes=-5000", 1000L, new Partial(0, 1000, 1000)),
        Arguments.of("BYTES = 1-2", 1000L, new Whole(1000)),
        Arguments.of("Bytes=1-2", 1000L, new Partial(1, 2, 1000)),
        Arguments.of(" bytes= 1 - 2 ", 1000L, new Partial(1, 2, 1000)),
        // Unsatisfiable: starts at or past the end, or asks for the last zero bytes.
        Arguments.of("bytes=1000-", 1000L, new Unsatisfiable(1000)),
        Arguments.of("bytes=1000-2000", 1000L, new Unsatisfiable(1000)),
        Arguments.of("bytes=-0", 1000L, new Unsatisfiable(1000)),
        Arguments.of("bytes=0-", 0L, new Unsatisfiable(0)),
        Arguments.of("bytes=-1", 0L, new Unsatisfiable(0)),
        // Ignored (whole package): other units, several ranges, malformed.
        Arguments.of("items=0-1", 1000L, new Whole(1000)),
        Arguments.of("bytes=0-1,5-6", 1000L, new Whole(1000)),
        Arguments.of("bytes=5-1", 1000L, new Whole(1000)),
        Arguments.of("bytes=-", 1000L, new Whole(1000)),
        Arguments.of("bytes=abc-5", 1000L, new Whole(1000)),
        Arguments.of("bytes=1-x", 1000L, new Whole(1000)),
        Arguments.of("bytes=+1-5", 1000L, new Whole(1000)),
        Arguments.of("bytes=99999999999999999999-", 1000L, new Whole(1000)),
        Arguments.of("bytes=10", 1000L, new Whole(1000)));
  }

  @ParameterizedTest(name = "{0} of {1} bytes -> {2}")
  @MethodSource("headers")
  void selects(String header, long size, ByteRange expected) {
    assertThat(ByteRange.of(header, size)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("headers")
  void contentRangeNamesTheLastByteInclusively(String header, long size, ByteRange expected) {
    if (expected instanceof Partial partial) {
      assertThat(partial.contentRange())
          .isEqualTo("bytes " + partial.start() + "-" + (partial.start() + partial.length() - 1) + "/" + size);
    } else if (expected instanceof Unsatisfiable unsatisfiable) {
      assertThat(unsatisfiable.contentRange()).isEqualTo("bytes */" + size);
    }
  }
}
