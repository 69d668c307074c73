package io.bimm.flink.cli;

import io.bimm.flink.ingest.EpochFeeder;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bimm feed}: produces clips at a fixed rate, for a fixed time or count, for load and fault
 * tests. The files are ingested once (as {@code bimm ingest} does: those clips are the first ones
 * produced) and their clips then produced again and again, each pass with a new {@code bimm.draw}
 * so that preprocessing draws new crops and masks. The repeated clips go round-robin over the
 * topic's partitions, so that every partition (and every Kafka reader of a scaled-out job) gets the
 * same share however few distinct clips the files make.
 */
@Command(
        name = "feed",
        mixinStandardHelpOptions = true,
        description = {
            "Produce clips to Kafka at a fixed rate (clips/s) for a fixed time or number of clips:"
                    + " the files are ingested once, then their clips are produced again as new"
                    + " draws. For load and fault tests.",
            "The last line on stdout is 'fed N clips in S s (R clips/s)'."
        })
public final class FeedCommand implements Callable<Integer> {

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT")
    String bootstrap;

    @Option(names = "--topic", description = "Clips topic (default: ${DEFAULT-VALUE}).")
    String topic = Topics.CLIPS;

    @Option(
            names = "--rate",
            description = "Clips per second; 0 = as fast as the broker takes them (default).")
    double rate;

    @Option(names = "--seconds", description = "Stop after this many seconds.")
    double seconds;

    @Option(names = "--count", description = "Stop after exactly this many clips.")
    long count;

    @Option(names = "--segment-seconds", description = "Segment length (default: 4).")
    double segmentSeconds = 4;

    @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Video files or directories.")
    List<String> paths;

    @Override
    public Integer call() throws Exception {
        if (seconds <= 0 && count <= 0) {
            throw new UserException("Give --seconds or --count (or both).");
        }
        if (rate < 0) {
            throw new UserException("--rate must be >= 0.");
        }
        long t0 = System.nanoTime();
        List<VideoClip> clips = new ArrayList<>();
        long produced;
        Map<String, String> client = kafkaClient.properties(System.err);
        kafkaClient.checkCredentials(bootstrap, client);
        Ingestor.Settings defaults = Ingestor.Settings.clips(bootstrap, topic, segmentSeconds, 4);
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        bootstrap,
                        topic,
                        defaults.deadLetterTopic(),
                        segmentSeconds,
                        null,
                        false,
                        defaults.maxClipBytes(),
                        defaults.maxFileBytes(),
                        defaults.partitions(),
                        client);
        try (Ingestor ingestor = new Ingestor(settings)) {
            ingestor.onClip(clips::add);
            IngestReport report = ingestor.ingest(InputFiles.expand(paths), System.err, false);
            System.err.println(report.summaryLine());
        }
        if (clips.isEmpty()) {
            throw new UserException("Nothing was ingested from " + paths + ".");
        }
        produced = clips.size();
        if (count > 0 && produced > count) {
            throw new UserException(
                    "The files make "
                            + produced
                            + " clips, more than --count "
                            + count
                            + "; give a larger --count.");
        }
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        java.util.Properties p = new java.util.Properties();
        p.putAll(client);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(17 * 1024 * 1024));
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        long deadline = seconds > 0 ? t0 + (long) (seconds * 1e9) : Long.MAX_VALUE;
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            // Keyed by clip id, a few distinct clips would hash to a few partitions: a backlog
            // that readers of a scaled-out job cannot share evenly.
            int partitions = producer.partitionsFor(topic).size();
            long draw = 1;
            outer:
            while (true) {
                for (VideoClip c : clips) {
                    if ((count > 0 && produced >= count) || System.nanoTime() >= deadline) {
                        break outer;
                    }
                    if (rate > 0) {
                        // Paced from the start, counting the first pass: clip k goes at k / rate.
                        long due = t0 + (long) (produced / rate * 1e9);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                    Map<String, String> meta = new HashMap<>(c.getMetadata());
                    meta.put(EpochFeeder.DRAW_KEY, Long.toString(draw));
                    VideoClip again = VideoClip.newBuilder(c).setMetadata(meta).build();
                    int partition = (int) (produced % partitions);
                    producer.send(
                                    new ProducerRecord<>(
                                            topic, partition, c.getClipId(), codec.encode(again)))
                            .get();
                    produced++;
                }
                draw++;
            }
            producer.flush();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                java.util.Locale.ROOT,
                "fed %d clips in %.1f s (%.2f clips/s)%n",
                produced,
                s,
                produced / s);
        return 0;
    }
}
