package io.bimm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.fault.FaultOptions;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainRunner;
import io.bimm.model.Preset;
import io.bimm.model.Target;
import io.bimm.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local-cluster.sh} end to end: a real standalone cluster (JobManager and TaskManager
 * JVMs started from Flink's entry points, the Kafka broker as its own process), the training job
 * submitted to it with {@code --jobmanager}, an exception injected in an operator so that the job
 * restarts inside the same TaskManager JVM, and a second job in the same JVM (a new user-code class
 * loader, while DJL's native library stays loaded). The job jar is the lean {@code -cluster.jar}
 * users submit (no Flink, natives or broker: the cluster's lib/ has them), and the TaskManager's
 * Prometheus reporter is scraped while the first job trains.
 */
class LocalClusterITCase {

    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();

    static final Path CLUSTER_JAR =
            ROOT.resolve("flink-jobs/target/flink-jobs-0.1.0-SNAPSHOT-cluster.jar");

    /** What the training run must show in the TaskManager's scrape (Prometheus names). */
    private static final List<String> EXPECTED_METRICS =
            List.of(
                    "flink_taskmanager_job_task_operator_bimm_lossTotal",
                    "flink_taskmanager_job_task_operator_bimm_steps",
                    "flink_taskmanager_job_task_operator_bimm_samplesPerSecond",
                    "flink_taskmanager_job_task_operator_bimm_dataWaitTimeMs",
                    "flink_taskmanager_job_task_operator_deadLetters_reason_count",
                    "flink_taskmanager_job_task_operator_pendingRecords",
                    "flink_taskmanager_Status_JVM_Memory_Heap_Used");

    @Test
    void restartsInTheSameTaskManagerAndRunsASecondJob(@TempDir Path tmp) throws Exception {
        // The lean job jar users submit (this test loads TrainRunner from the thin one).
        assertThat(CLUSTER_JAR).isRegularFile();
        System.setProperty(TrainRunner.JOB_JAR_PROPERTY, CLUSTER_JAR.toString());
        int rest = freePort();
        int kafka = freePort();
        int prometheus = freePort();
        while (!portFree(prometheus + 1)) {
            prometheus = freePort();
        }
        Path clusterDir = tmp.resolve("cluster");
        long tmPid = -1;
        try {
            String started =
                    script(
                            clusterDir,
                            "start",
                            "--taskmanagers",
                            "1",
                            "--slots",
                            "2",
                            "--rest-port",
                            Integer.toString(rest),
                            "--kafka-port",
                            Integer.toString(kafka),
                            "--prometheus-port",
                            Integer.toString(prometheus));
            assertThat(started).contains("cluster up: 1 TaskManagers x 2 slots");
            // The reporter's filter is the Kubernetes manifest's, character for character.
            assertThat(Files.readString(clusterDir.resolve("conf/config.yaml")))
                    .contains(
                            "metrics.reporter.prom.filter.includes: \""
                                    + Manifests.prometheusFilter()
                                    + "\"");
            // Closed by default: REST and Kafka on 127.0.0.1 only, no jar upload handlers.
            assertThat(listeningAddresses(rest)).containsOnly("127.0.0.1");
            assertThat(listeningAddresses(kafka)).containsOnly("127.0.0.1");
            assertThat(httpStatus(rest, "/jars")).isEqualTo(404);
            String bootstrap = "localhost:" + kafka;
            int clips = ingest(bootstrap);
            assertThat(clips).isGreaterThanOrEqualTo(8);
            tmPid = pid(clusterDir.resolve("pid/taskmanager-1.pid"));

            // Job 1: the 3rd sample throws once; the job restarts in the same TaskManager JVM.
            Configuration conf = jobConf(bootstrap, tmp.resolve("ckpt-1"), 3);
            conf.set(FaultOptions.THROW_AT_SAMPLE, 3);
            TrainRunner.Result r1;
            Map<String, String> scraped;
            Set<String> names;
            try (PrometheusScraper tm = new PrometheusScraper(prometheus + 1)) {
                r1 = submit(conf, rest);
                scraped = tm.series();
                names = tm.names();
            }
            assertThat(r1.steps()).isEqualTo(3);
            assertScrape(scraped, names);
            String log = Files.readString(clusterDir.resolve("log/taskmanager-1.log"));
            assertThat(log).contains("fault injection: throwing at sample 3");
            assertThat(count(log, "Training tiny")).as(failures(log)).isEqualTo(2);
            assertThat(log).doesNotContain("already loaded in another classloader");
            assertThat(pid(clusterDir.resolve("pid/taskmanager-1.pid"))).isEqualTo(tmPid);
            assertThat(ProcessHandle.of(tmPid).map(ProcessHandle::isAlive)).contains(true);

            // Job 2 in the same JVM: a new user-code class loader; DJL (parent-first) is reused.
            TrainRunner.Result r2 =
                    submit(
                            jobConf(bootstrap, tmp.resolve("ckpt-2"), 1)
                                    .set(TrainJobOptions.GROUP_ID, "second"),
                            rest);
            assertThat(r2.steps()).isEqualTo(1);
            log = Files.readString(clusterDir.resolve("log/taskmanager-1.log"));
            assertThat(count(log, "Training tiny")).as(failures(log)).isEqualTo(3);
            assertThat(log).doesNotContain("already loaded in another classloader");
            assertThat(pid(clusterDir.resolve("pid/taskmanager-1.pid"))).isEqualTo(tmPid);
        } finally {
            script(clusterDir, "stop");
        }
        String status = script(clusterDir, "status");
        assertThat(status).contains("jobmanager not running").doesNotContain("running pid");
        assertThat(ProcessHandle.of(tmPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    /** The sink's, the dead letters' (reason as a label), Kafka lag and JVM memory. */
    private static void assertScrape(Map<String, String> scraped, Set<String> names)
            throws IOException {
        assertThat(names).as("scraped %s", names).containsAll(EXPECTED_METRICS);
        for (Target t : Target.values()) {
            assertThat(names)
                    .anyMatch(
                            n ->
                                    n.startsWith("flink_taskmanager_job_task_operator_bimm_loss_")
                                            && n.endsWith(
                                                    t.key().replaceAll("[^A-Za-z0-9_]", "_")));
        }
        assertThat(scraped.keySet())
                .anyMatch(
                        s ->
                                s.startsWith(
                                                "flink_taskmanager_job_task_operator_deadLetters_reason_count{")
                                        && s.contains("reason=\"bad_record\""));
        // The sink trained: some scrape saw a step count above zero.
        assertThat(scraped.entrySet())
                .anyMatch(
                        e ->
                                e.getKey()
                                                .startsWith(
                                                        "flink_taskmanager_job_task_operator_bimm_steps")
                                        && Double.parseDouble(e.getValue()) > 0);
        // Every metric the Grafana dashboard's queries name is one the scrape returned.
        for (String metric :
                GrafanaDashboard.metricNames(ROOT.resolve("deploy/grafana/bimm-training.json"))) {
            if (metric.endsWith("*")) {
                String prefix = metric.substring(0, metric.length() - 1);
                assertThat(names).as("dashboard's %s", metric).anyMatch(n -> n.startsWith(prefix));
            } else {
                assertThat(names).as("dashboard's %s", metric).contains(metric);
            }
        }
    }

    private static Configuration jobConf(String bootstrap, Path ckpt, long maxSteps) {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.BOOTSTRAP, bootstrap);
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        conf.set(TrainJobOptions.BATCH_SIZE, 2);
        conf.set(TrainJobOptions.CHECKPOINT_DIR, ckpt.toString());
        conf.set(TrainJobOptions.CHECKPOINT_EVERY, 0);
        conf.set(TrainJobOptions.DEVICE, "cpu");
        conf.set(TrainJobOptions.MAX_STEPS, maxSteps);
        conf.set(TrainJobOptions.PREP_PARALLELISM, 1);
        conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(5));
        // A job that cannot start (e.g. DJL's library bound to another class loader) fails the
        // test within seconds instead of restarting forever.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        return conf;
    }

    private static TrainRunner.Result submit(Configuration conf, int rest) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TrainRunner.Result r =
                TrainRunner.run(
                        conf,
                        true,
                        "localhost:" + rest,
                        0,
                        new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Submitting to the Flink cluster at http://localhost:" + rest)
                .contains("job jar " + CLUSTER_JAR);
        return r;
    }

    private static int ingest(String bootstrap) throws IOException {
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        bootstrap,
                        Topics.CLIPS,
                        Topics.DEADLETTER,
                        4.0,
                        null,
                        false,
                        Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                        Long.MAX_VALUE,
                        2,
                        Map.of());
        try (Ingestor ingestor = new Ingestor(settings)) {
            IngestReport report =
                    ingestor.ingest(
                            InputFiles.expand(List.of(videos().toString())), System.err, false);
            return report.clips();
        }
    }

    /** Runs deploy/local-cluster.sh with the cluster under {@code dir}; returns its output. */
    private static String script(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(ROOT.resolve("deploy/local-cluster.sh").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("BIMM_CLUSTER_DIR", dir.toString());
        pb.environment().put("BIMM_TM_MEMORY", "2560m");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String s = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(s).isZero();
        return s;
    }

    /** The shared sample videos ({@code ../shared/data/videos} beside the repository). */
    private static Path videos() {
        String override = System.getProperty("bimm.test.videos");
        if (override != null) {
            return Paths.get(override);
        }
        for (Path p = ROOT; p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("data/videos");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("Sample videos not found beside " + ROOT + ".");
    }

    /** The TaskManager log's lines about failed tasks, to say why a job restarted. */
    private static String failures(String log) {
        StringBuilder b = new StringBuilder("failures in the TaskManager log:\n");
        String[] lines = log.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("switched from RUNNING to FAILED")
                    || lines[i].contains("switched from INITIALIZING to FAILED")) {
                for (int j = i; j < Math.min(lines.length, i + 8); j++) {
                    b.append(lines[j]).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static long pid(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /**
     * The addresses sockets listen on at {@code port}, from the kernel's tables: "127.0.0.1",
     * "0.0.0.0", "::" (the kernel prints each 32-bit word of an address little-endian).
     */
    private static List<String> listeningAddresses(int port) throws IOException {
        List<String> out = new java.util.ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Paths.get(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (!f[3].equals("0A") || Integer.parseInt(local[1], 16) != port) {
                    continue;
                }
                byte[] b = new byte[local[0].length() / 2];
                for (int i = 0; i < b.length; i++) {
                    int at = ((i / 4) * 4 + 3 - i % 4) * 2;
                    b[i] = (byte) Integer.parseInt(local[0].substring(at, at + 2), 16);
                }
                out.add(java.net.InetAddress.getByAddress(b).getHostAddress());
            }
        }
        return out;
    }

    private static int httpStatus(int port, String path) throws Exception {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
