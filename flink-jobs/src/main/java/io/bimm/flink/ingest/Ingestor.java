package io.bimm.flink.ingest;

import io.bimm.flink.job.DeadLetterTopicLimit;
import io.bimm.flink.kafka.TopicAdmin;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.OriginalBytesState;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces video files as {@link VideoClip} segments (or image files as {@link ImageRecord}s) to
 * Kafka, and every input it cannot take as a {@link DeadLetter} with its reason.
 *
 * <p>The producer is idempotent ({@code enable.idempotence=true, acks=all}); record keys are
 * content hashes, so the same file ingested twice gives the same clip ids.
 */
public final class Ingestor implements AutoCloseable {

    private final Settings settings;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroCodec<VideoClip> clipCodec = AvroCodec.of(VideoClip.class);
    private final AvroCodec<ImageRecord> imageCodec = AvroCodec.of(ImageRecord.class);
    private DeadLetterFitter deadLetterFitter;
    private final SegmentLimits segmentLimits;
    private java.util.function.Consumer<VideoClip> clipListener = c -> {};

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
        this.clipListener = listener;
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
        List<Pending> pending = new ArrayList<>();
        int clips = 0;
        int ingested = 0;
        int rejected = 0;
        long bytes = 0;
        for (int i = 0; i < files.size(); i++) {
            InputFile input = files.get(i);
            Path file = input.path();
            bar.update(i, clips, bytes, file.getFileName().toString());
            FileResult result = ingestFile(input, pending);
            // Wait for this file's records: a broker-side refusal is reported with the file.
            for (Pending p : pending) {
                try {
                    p.future.get();
                    result.clips++;
                    bytes += p.size;
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
                                            + p.segment
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
                deadLetter(file, r, result.bytes);
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

    private FileResult ingestFile(InputFile input, List<Pending> pending) {
        FileResult result = new FileResult();
        Path file = input.path();
        InputFile.Content content;
        try {
            content = input.read(settings.maxFileBytes(), "--max-file-bytes");
        } catch (IngestException e) {
            result.rejections.add(new IngestReport.Rejection(file, e.reason(), e.getMessage()));
            return result;
        }
        // Only bytes read under the rules above ever go into a dead letter.
        result.bytes = content.bytes();
        String id = contentId(content.bytes());
        try {
            if (settings.images()) {
                produceImage(file, content.bytes(), id, pending);
            } else {
                produceSegments(input, content, id, pending, result);
            }
        } catch (IngestException e) {
            result.rejections.add(new IngestReport.Rejection(file, e.reason(), e.getMessage()));
        } catch (RuntimeException e) {
            result.rejections.add(
                    new IngestReport.Rejection(
                            file, DeadLetterReason.INTERNAL_ERROR, e.toString()));
        }
        return result;
    }

    private void produceSegments(
            InputFile input,
            InputFile.Content content,
            String id,
            List<Pending> pending,
            FileResult result)
            throws IngestException {
        Instant now = Instant.now();
        Path file = input.path();
        // FFmpeg opens the real path checked by read(), not the name (which may be a symlink).
        new VideoSegmenter(settings.segmentSeconds())
                .segment(
                        content.real(),
                        content.bytes(),
                        (probe, segment) -> {
                            segmentLimits.checkFrameSize(probe.width(), probe.height());
                            if (segment.data().length > settings.maxClipBytes()) {
                                result.rejections.add(
                                        new IngestReport.Rejection(
                                                file,
                                                DeadLetterReason.OVER_SIZE,
                                                "segment "
                                                        + segment.index()
                                                        + " is "
                                                        + segment.data().length
                                                        + " bytes, over the "
                                                        + settings.maxClipBytes()
                                                        + "-byte limit (--max-clip-bytes);"
                                                        + " a shorter --segment-seconds may help"));
                                return;
                            }
                            IngestReport.Rejection overLimit =
                                    segmentLimits.check(input, segment, id + "-" + segment.index());
                            if (overLimit != null) {
                                result.rejections.add(overLimit);
                                return;
                            }
                            VideoClip clip = toClip(file, id, now, probe, segment);
                            clipListener.accept(clip);
                            send(
                                    settings.topic(),
                                    clip.getClipId(),
                                    clipCodec.encode(clip),
                                    segment.index(),
                                    pending);
                        });
    }

    private VideoClip toClip(
            Path file,
            String id,
            Instant now,
            VideoSegmenter.Probe probe,
            VideoSegmenter.Segment segment) {
        return VideoClip.newBuilder()
                .setClipId(id + "-" + segment.index())
                .setSourceUri(file.toUri().toString())
                .setSegmentIndex(segment.index())
                .setContainer(segment.container())
                .setCodec(segment.codec())
                .setData(ByteBuffer.wrap(segment.data()))
                .setFrameRate(probe.frameRate())
                .setWidth(probe.width())
                .setHeight(probe.height())
                .setFrameCount(segment.frameCount() > 0 ? segment.frameCount() : null)
                .setStartMicros(segment.startMicros())
                .setDurationMicros(segment.durationMicros())
                .setIngestTimestamp(now)
                .setLabel(settings.label())
                .setMetadata(
                        Map.of(
                                "source.container", probe.container(),
                                "source.frames", Integer.toString(probe.frameCount()),
                                "source.duration.micros", Long.toString(probe.durationMicros())))
                .build();
    }

    private void produceImage(Path file, byte[] bytes, String id, List<Pending> pending)
            throws IngestException {
        if (bytes.length > settings.maxClipBytes()) {
            throw new IngestException(
                    DeadLetterReason.OVER_SIZE,
                    "it is "
                            + bytes.length
                            + " bytes, over the "
                            + settings.maxClipBytes()
                            + "-byte limit (--max-clip-bytes)");
        }
        ImageProbe.Info info = ImageProbe.probe(bytes);
        segmentLimits.checkFrameSize(info.width(), info.height());
        ImageRecord image =
                ImageRecord.newBuilder()
                        .setId(id)
                        .setSourceUri(file.toUri().toString())
                        .setFormat(info.format())
                        .setData(ByteBuffer.wrap(bytes))
                        .setWidth(info.width())
                        .setHeight(info.height())
                        .setIngestTimestamp(Instant.now())
                        .setLabel(settings.label())
                        .setMetadata(Map.of())
                        .build();
        send(settings.topic(), id, imageCodec.encode(image), 0, pending);
    }

    private void send(String topic, String key, byte[] value, int segment, List<Pending> pending) {
        Future<RecordMetadata> f = producer.send(new ProducerRecord<>(topic, key, value));
        pending.add(new Pending(f, value.length, segment));
    }

    /**
     * Sends {@code r} to the dead-letter topic with {@code read}, the file's bytes as read under
     * {@link InputFile}'s rules (null when it was not read: not a regular file, out of its tree,
     * over a limit); the file is never read again here. Bytes over the clip limit, or not read, are
     * omitted (with the size of a regular file); the fitter adds size and SHA-256 and cuts the
     * letter to the dead-letter topic's limit.
     */
    private void deadLetter(Path file, IngestReport.Rejection r, byte[] read) {
        boolean keep = read != null && read.length <= settings.maxClipBytes();
        byte[] original = keep ? read : new byte[0];
        OriginalBytesState state = keep ? OriginalBytesState.COMPLETE : OriginalBytesState.OMITTED;
        Long omittedSize =
                keep ? null : read != null ? (Long) (long) read.length : regularSize(file);
        DeadLetter dl =
                DeadLetter.newBuilder()
                        .setSourceUri(file.toUri().toString())
                        .setStage("ingest")
                        .setReasonCode(r.reason().code())
                        .setMessage(file.getFileName() + ": " + r.message())
                        .setTimestamp(Instant.now())
                        .setOriginalBytes(ByteBuffer.wrap(original))
                        .setOriginalSize(omittedSize)
                        .setOriginalBytesState(state)
                        .build();
        String key = file.toUri().toString();
        byte[] value =
                deadLetterFitter()
                        .fit(dl, key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                        .value();
        producer.send(new ProducerRecord<>(settings.deadLetterTopic(), key, value));
    }

    /** The size of {@code file} if it is a regular file (links not followed), else null. */
    private static Long regularSize(Path file) {
        try {
            BasicFileAttributes a =
                    Files.readAttributes(
                            file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? a.size() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Sized for the dead-letter topic's limit and this producer's, read once. */
    private DeadLetterFitter deadLetterFitter() {
        if (deadLetterFitter == null) {
            Properties extra = new Properties();
            extra.putAll(settings.kafkaProperties());
            int topicLimit =
                    DeadLetterTopicLimit.maxMessageBytes(
                            settings.bootstrap(),
                            settings.deadLetterTopic(),
                            extra,
                            java.time.Duration.ofSeconds(10));
            int requestLimit =
                    Integer.parseInt(
                            producerProperties(settings)
                                    .get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
                                    .toString());
            deadLetterFitter = new DeadLetterFitter(Math.min(topicLimit, requestLimit));
        }
        return deadLetterFitter;
    }

    /** First 16 bytes of the SHA-256 of the content, in hex: the same file, the same ids. */
    static String contentId(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
        segmentLimits.close();
    }

    private static final class FileResult {
        int clips;
        byte[] bytes;
        final List<IngestReport.Rejection> rejections = new ArrayList<>();
    }

    private record Pending(Future<RecordMetadata> future, int size, int segment) {}
}
