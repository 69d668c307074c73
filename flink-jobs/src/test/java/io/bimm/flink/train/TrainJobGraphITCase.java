package io.bimm.flink.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.schemas.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job graph's shape: with {@code prep.rebalance} the clips are either read by one Kafka reader
 * per preprocessing instance, chained to it, or spread round-robin from the readers; {@code auto}
 * decides by the clips topic's partitions, asked of a real broker.
 */
class TrainJobGraphITCase {

    private static EmbeddedKafka kafka;

    @TempDir static Path dir;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.startEphemeral();
        kafka.createTopics(4, List.of("clips4"), Topics.DEFAULT_MAX_MESSAGE_BYTES);
        kafka.createTopics(3, List.of("clips3"), Topics.DEFAULT_MAX_MESSAGE_BYTES);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Configuration conf(String topic, int parallelism, String rebalance) {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.BOOTSTRAP, kafka.bootstrapServers());
        conf.set(TrainJobOptions.CLIPS_TOPIC, topic);
        conf.set(TrainJobOptions.CHECKPOINT_DIR, dir.toString());
        conf.set(TrainJobOptions.PREP_PARALLELISM, parallelism);
        conf.setString(TrainJobOptions.PREP_REBALANCE.key(), rebalance);
        return conf;
    }

    /** "name (parallelism)" of every job vertex, in graph order. */
    private static List<String> vertices(Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        TrainJob.build(env, conf);
        JobGraph graph = env.getStreamGraph().getJobGraph();
        List<String> out = new ArrayList<>();
        for (JobVertex v : graph.getVerticesSortedTopologicallyFromSources()) {
            out.add(v.getName() + " (" + v.getParallelism() + ")");
        }
        return out;
    }

    private static boolean chainedToReaders(List<String> vertices) {
        return vertices.stream()
                .anyMatch(v -> v.contains("kafka-clips") && v.contains("decode-targets-mask"));
    }

    @Test
    void chainedNamesStayWithinFlinksLimitForOperatorNames() {
        // Parallelism 1 chains everything from the reader to the training sink (the demo's job).
        // A sink writer chained after it took the chain's name as its operator name ("Source:
        // kafka-clips -> ... -> steps: Writer"), which Flink cut at 80 characters with a warning.
        for (String v : vertices(conf("clips4", 1, "auto"))) {
            String name = v.substring(0, v.lastIndexOf(" ("));
            assertTrue(name.length() <= 80, name);
        }
    }

    @Test
    void evenPartitionsChainTheReadersToThePreprocessing() {
        Configuration conf = conf("clips4", 2, "auto");
        assertFalse(TrainJob.rebalance(conf, kafka.bootstrapServers(), "clips4", 2));
        List<String> v = vertices(conf);
        assertTrue(chainedToReaders(v), v.toString());
        assertTrue(
                v.stream().anyMatch(x -> x.contains("decode-targets-mask") && x.endsWith("(2)")),
                v.toString());
    }

    @Test
    void unevenPartitionsRebalance() {
        Configuration conf = conf("clips3", 2, "auto");
        assertTrue(TrainJob.rebalance(conf, kafka.bootstrapServers(), "clips3", 2));
        List<String> v = vertices(conf);
        assertFalse(chainedToReaders(v), v.toString());
        assertTrue(
                v.stream().anyMatch(x -> x.startsWith("decode-targets-mask") && x.endsWith("(2)")),
                v.toString());
    }

    @Test
    void aMissingTopicRebalancesAndExplicitModesWin() {
        assertTrue(
                TrainJob.rebalance(conf("nope", 2, "auto"), kafka.bootstrapServers(), "nope", 2));
        assertTrue(
                TrainJob.rebalance(
                        conf("clips4", 2, "always"), kafka.bootstrapServers(), "clips4", 2));
        assertFalse(
                TrainJob.rebalance(
                        conf("clips3", 2, "never"), kafka.bootstrapServers(), "clips3", 2));
        assertFalse(
                TrainJob.rebalance(
                        conf("clips3", 1, "auto"), kafka.bootstrapServers(), "clips3", 1));
        assertTrue(chainedToReaders(vertices(conf("clips3", 2, "never"))));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> vertices(conf("clips4", 2, "sometimes")));
        assertTrue(e.getMessage().contains("prep.rebalance"), e.getMessage());
    }

    @Test
    void theInputLimitsReachThePreprocessing() {
        Configuration conf = conf("clips4", 1, "auto");
        conf.setString("prep.max-bytes", "3mb");
        conf.setString("prep.max-width", "640");
        conf.setString("prep.max-height", "480");
        conf.setString("prep.max-frames", "900");
        conf.setString("prep.max-decode-time", "2s");
        conf.setString("prep.skip-unneeded-frames", "false");
        io.bimm.flink.decode.DecodeOptions d =
                TrainJob.prepOptions(conf, TrainJob.modelConfig(conf)).decode();
        assertEquals(3L * 1024 * 1024, d.maxBytes());
        assertEquals(640, d.maxWidth());
        assertEquals(480, d.maxHeight());
        assertEquals(900, d.maxFrames());
        assertEquals(java.time.Duration.ofSeconds(2), d.maxDecodeTime());
        assertFalse(d.skipUnneeded());
        assertTrue(
                TrainJob.prepOptions(conf("clips4", 1, "auto"), TrainJob.modelConfig(conf))
                        .decode()
                        .skipUnneeded());
    }
}
