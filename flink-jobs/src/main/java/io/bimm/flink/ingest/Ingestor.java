package io.bimm.flink.ingest;

import io.bimm.flink.kafka.TopicAdmin;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces video files as {@link VideoClip} segments (or image files as {@link ImageRecord}s) to
 * Kafka, and every input it cannot take as a {@link DeadLetter} with its reason: the run over the
 * files, with its progress bar and report; each file's reading, cutting and sending is {@link
 * FileProducer}'s, the letters {@link IngestDeadLetters}'.
 *
 * <p>The producer is idempotent ({@code enable.idempotence=true, acks=all}); record keys are
 * content hashes, so the same file ingested twice gives the same clip ids.
 */
public final class Ingestor implements AutoCloseable {

    private final Settings settings;
    private final KafkaProducer<String, byte[]> producer;
    private final SegmentLimits segmentLimits;
    private final FileProducer fileProducer;
    private final IngestDeadLetters deadLetters;

    /**
     * How to ingest.
     *
     * @param bootstrap Kafka bootstrap servers
     * @param topic the clips (or, with {@code images}, images) topic
     * @param deadLetterTopic where rejected inputs go
     * @param segmentSeconds target segment length
     * @param label optional label written into every record
     * @param images whether the inputs are images
     * @param maxClipBytes largest record value produced
     * @param maxFileBytes largest input file read
     * @param partitions partitions of topics this command creates
     * @param kafkaProperties extra producer/admin properties (security settings etc.)
     * @param limits the job's limits ({@code prep.max-*}), applied to every segment (or image)
     */
    public record Settings(
            String bootstrap,
            String topic,
            String deadLetterTopic,
            double segmentSeconds,
            String label,
            boolean images,
            int maxClipBytes,
            long maxFileBytes,
            int partitions,
            Map<String, String> kafkaProperties,
            DecodeLimits limits) {

        /** Settings with the job's default limits. */
        public Settings(
                String bootstrap,
                String topic,
                String deadLetterTopic,
                double segmentSeconds,
                String label,
                boolean images,
                int maxClipBytes,
                long maxFileBytes,
                int partitions,
                Map<String, String> kafkaProperties) {
            this(
                    bootstrap,
                    topic,
                    deadLetterTopic,
                    segmentSeconds,
                    label,
                    images,
                    maxClipBytes,
                    maxFileBytes,
                    partitions,
                    kafkaProperties,
                    DecodeLimits.defaults());
        }

        /**
         * Unlabeled video clips of {@code segmentSeconds} to {@code topic}, rejects to the default
         * dead-letter topic, with the default limits and no producer overrides: what {@code bimm
         * feed}, {@code demo} and {@code eval} ingest with.
         */
        public static Settings clips(
                String bootstrap, String topic, double segmentSeconds, int partitions) {
            return new Settings(
                    bootstrap,
                    topic,
                    Topics.DEADLETTER,
                    segmentSeconds,
                    null,
                    false,
                    Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                    Long.MAX_VALUE,
                    partitions,
                    Map.of());
        }
    }

    public Ingestor(Settings settings) {
        this.settings = settings;
        this.segmentLimits = new SegmentLimits(settings.limits());
        this.producer =
                new KafkaProducer<>(
                        producerProperties(settings),
                        new StringSerializer(),
                        new ByteArraySerializer());
        this.fileProducer = new FileProducer(settings, producer, segmentLimits);
        this.deadLetters = new IngestDeadLetters(settings, producer);
    }

    /** The producer's properties: idempotent, sized for one clip, the user's overrides on top. */
    public static Properties producerProperties(Settings s) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bimm-ingest");
        // Room for one clip plus the record overhead.
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(s.maxClipBytes() + 65536));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(4L * (s.maxClipBytes() + 65536)));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Clips are large: one request in flight already fills the pipe, and keeps a retried
        // first batch from racing its successors (refused as out of sequence otherwise).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        p.putAll(s.kafkaProperties());
        return p;
    }

    /** Calls {@code listener} with every clip produced (the demo replays them as epochs). */
    public void onClip(java.util.function.Consumer<VideoClip> listener) {
        fileProducer.onClip(listener);
    }

    /**
     * Creates the target and dead-letter topics if they are missing, with a message size limit
     * large enough for a clip. Brokers that forbid topic creation are left to their own topics.
     */
    public void ensureTopics() throws IOException {
        Properties p = new Properties();
        producerProperties(settings)
                .forEach(
                        (k, v) -> {
                            if (AdminClientConfig.configNames().contains(k.toString())) {
                                p.put(k, v);
                            }
                        });
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        try (Admin admin = Admin.create(p)) {
            TopicAdmin.createTopics(
                    admin,
                    List.of(settings.topic(), settings.deadLetterTopic()),
                    settings.partitions(),
                    (short) 1,
                    Math.max(Topics.DEFAULT_MAX_MESSAGE_BYTES, settings.maxClipBytes() + 65536));
        } catch (IOException e) {
            if (!(e.getCause() instanceof AuthorizationException)) {
                throw e;
            }
            // Managed clusters often forbid topic creation: the topics must exist already.
        }
    }

    /**
     * Ingests {@code files} in order. Inputs that cannot be ingested are reported on {@code err} by
     * name and reason, sent to the dead-letter topic and counted; the rest go on.
     */
    public IngestReport ingest(List<InputFile> files, PrintStream err, boolean progress)
            throws IOException {
        ProgressBar bar = new ProgressBar(err, files.size(), progress);
        List<IngestReport.Rejection> rejections = new ArrayList<>();
        List<FileProducer.Pending> pending = new ArrayList<>();
        int clips = 0;
        int ingested = 0;
        int rejected = 0;
        long bytes = 0;
        for (int i = 0; i < files.size(); i++) {
            InputFile input = files.get(i);
            Path file = input.path();
            bar.update(i, clips, bytes, file.getFileName().toString());
            FileProducer.FileResult result = fileProducer.ingestFile(input, pending);
            // Wait for this file's records: a broker-side refusal is reported with the file.
            for (FileProducer.Pending p : pending) {
                try {
                    p.future().get();
                    result.clips++;
                    bytes += p.size();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    DeadLetterReason reason =
                            cause instanceof RecordTooLargeException
                                    ? DeadLetterReason.OVER_SIZE
                                    : DeadLetterReason.INTERNAL_ERROR;
                    result.rejections.add(
                            new IngestReport.Rejection(
                                    file,
                                    reason,
                                    "Kafka refused segment "
                                            + p.segment()
                                            + ": "
                                            + cause.getMessage()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted while producing " + file, e);
                }
            }
            pending.clear();
            for (IngestReport.Rejection r : result.rejections) {
                bar.clear();
                err.println("rejected " + r);
                rejections.add(r);
                deadLetters.send(file, r, result.bytes);
            }
            clips += result.clips;
            if (result.clips > 0) {
                ingested++;
            } else {
                rejected++;
            }
        }
        bar.update(files.size(), clips, bytes, "");
        bar.clear();
        producer.flush();
        return new IngestReport(clips, ingested, rejected, List.copyOf(rejections), bytes);
    }

    @Override
    public void close() {
        producer.close();
        segmentLimits.close();
    }
}
