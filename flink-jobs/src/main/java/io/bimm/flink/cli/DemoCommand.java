package io.bimm.flink.cli;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.job.ClipSources;
import io.bimm.flink.job.ClipSummaryFunction;
import io.bimm.flink.job.DeadLetters;
import io.bimm.flink.job.DecodeClipFunction;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm demo}: everything on one machine. Starts the embedded Kafka broker and a Flink
 * MiniCluster with its web dashboard, ingests the sample videos, and runs the job on them.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run everything on this machine: an embedded Kafka broker (KRaft), a Flink MiniCluster"
                    + " with its web dashboard, ingest of the sample videos, and the job on them.",
        })
public final class DemoCommand implements Callable<Integer> {

    @Option(
            names = "--videos",
            description =
                    "Videos to ingest (default: ../shared/data/videos beside the repository).")
    Path videos;

    @Option(
            names = "--port",
            defaultValue = "8081",
            description = "Flink dashboard port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--segment-seconds",
            defaultValue = "4",
            description = "Segment length for ingest (default: ${DEFAULT-VALUE}).")
    double segmentSeconds;

    @Override
    public Integer call() throws Exception {
        Path videoDir = videos != null ? videos : defaultVideos();
        if (!Files.exists(videoDir)) {
            throw new UserException("No videos at " + videoDir + "; pass --videos DIR.");
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(2);
            System.out.println("Kafka broker (KRaft) at " + kafka.bootstrapServers());

            Ingestor.Settings settings =
                    new Ingestor.Settings(
                            kafka.bootstrapServers(),
                            Topics.CLIPS,
                            Topics.DEADLETTER,
                            segmentSeconds,
                            null,
                            false,
                            Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                            Long.MAX_VALUE,
                            2,
                            Map.of());
            IngestReport report;
            try (Ingestor ingestor = new Ingestor(settings)) {
                report =
                        ingestor.ingest(
                                InputFiles.expand(List.of(videoDir.toString())), System.err, false);
            }
            System.out.println(report.summaryLine());
            if (report.clips() == 0) {
                throw new UserException("Nothing was ingested from " + videoDir + ".");
            }

            Configuration conf = new Configuration();
            conf.set(RestOptions.PORT, port);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            env.setParallelism(2);
            System.out.println("Flink dashboard: http://localhost:" + port);

            SingleOutputStreamOperator<VideoClip> clips =
                    env.fromSource(
                                    ClipSources.records(
                                            kafka.bootstrapServers(),
                                            Topics.CLIPS,
                                            "bimm-demo",
                                            true,
                                            new Properties()),
                                    WatermarkStrategy.noWatermarks(),
                                    "clips")
                            .process(new DecodeClipFunction())
                            .name("decode-record")
                            .returns(new AvroTypeInfo<>(VideoClip.class));
            SingleOutputStreamOperator<String> summaries =
                    clips.process(new ClipSummaryFunction()).name("decode-frames");
            clips.getSideOutput(DeadLetters.TAG)
                    .union(summaries.getSideOutput(DeadLetters.TAG))
                    .sinkTo(
                            DeadLetters.sink(
                                    kafka.bootstrapServers(), Topics.DEADLETTER, new Properties()))
                    .name("dead-letters");
            int n = 0;
            try (CloseableIterator<String> it = summaries.executeAndCollect("bimm-demo")) {
                while (it.hasNext()) {
                    System.out.println(it.next());
                    n++;
                }
            }
            System.out.println("demo: decoded " + n + " of " + report.clips() + " clips");
        }
        return 0;
    }

    static Path defaultVideos() {
        String home = System.getProperty("bimm.home");
        Path root = home != null ? Paths.get(home) : Paths.get("").toAbsolutePath();
        return root.resolveSibling("shared").resolve("data").resolve("videos").normalize();
    }
}
