// The Temporal Java SDK's test server (io.temporal:temporal-test-server) as a standalone gRPC
// service bound to one address (127.0.0.1 by default); io.temporal.testserver.TestServer's own
// main binds every interface. Fallback for ./faaster when the Temporal CLI can't be built.
// Run as a single-file program: java -cp <platform classpath> LoopbackTestServer.java PORT [HOST]
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.net.InetSocketAddress;

public class LoopbackTestServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LoopbackTestServer PORT [HOST]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    String host = args.length > 1 ? args[1] : "127.0.0.1";
    TestServicesStarter services = new TestServicesStarter(false, 0);
    ServerBuilder<?> builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port));
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server = builder.build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      services.close();
    }));
    System.out.println("Temporal test server (in memory, no Web UI) listening on " + host + ":" + port);
    server.awaitTermination();
  }
}
