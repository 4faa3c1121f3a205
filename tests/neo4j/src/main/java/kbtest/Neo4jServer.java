package kbtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * Neo4j 5 community server for tests and local use: the embedded DBMS with the Bolt connector.
 *
 * <p>Usage: {@code java ... kbtest.Neo4jServer HOME_DIR [PORT] [HOST]}. The DBMS home (data/, logs/)
 * persists in HOME_DIR. Auth is on; the password of user {@code neo4j} is set from env
 * {@code NEO4J_PASSWORD} (default {@code kb-test-password}) on every start; the page cache is
 * {@code NEO4J_PAGECACHE_MB} MiB (default 512: the test corpora; a MIMIC-sized graph takes about
 * 7 GB on disk and wants a few GB, as a production server would have). SIGTERM/SIGINT stop the
 * DBMS cleanly. Prints "READY bolt://HOST:PORT" once Bolt accepts connections.
 */
public final class Neo4jServer {
    private Neo4jServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Neo4jServer HOME_DIR [PORT] [HOST]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 7687;
        String host = args.length > 2 ? args[2] : "127.0.0.1";
        String password = System.getenv().getOrDefault("NEO4J_PASSWORD", "kb-test-password");
        if (password.length() < 8) {
            System.err.println("NEO4J_PASSWORD must have at least 8 characters");
            System.exit(2);
        }
        Files.createDirectories(home);

        long t0 = System.nanoTime();
        try {
            run(home, host, port, password);
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println("FAILED " + e);
            System.out.flush();
            System.exit(1); // runs the shutdown hook if the DBMS got built
        }
        System.out.printf("READY bolt://%s:%d (%.1f s)%n", host, port, (System.nanoTime() - t0) / 1e9);
        System.out.flush();
    }

    private static void run(Path home, String host, int port, String password) {
        long pagecacheMb = Long.parseLong(System.getenv().getOrDefault("NEO4J_PAGECACHE_MB", "512"));
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, ByteUnit.mebiBytes(512))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Bolt otherwise waits 5 s + 5 s for idle threads/connections at shutdown.
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        // The DBMS threads are non-daemon: the JVM lives until SIGTERM/SIGINT runs this hook.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Neo4jServer: shutting down");
            System.out.flush();
            try {
                dbms.shutdown();
            } catch (Throwable e) {
                e.printStackTrace();
            }
            System.out.println("Neo4jServer: stopped");
            System.out.flush();
        }, "neo4j-shutdown"));

        // Set the password of the built-in admin user on the system database (on every start, so
        // NEO4J_PASSWORD stays the source of truth). The embedded API has full access, no login.
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PLAINTEXT PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (QueryExecutionException e) {
            // Neo4j refuses to "change" a password to its current value: already set, nothing to do.
            if (e.getMessage() == null || !e.getMessage().contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
        // Make sure the default database is online before reporting ready.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    }
}
