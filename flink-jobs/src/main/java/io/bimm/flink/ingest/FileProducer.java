package io.bimm.flink.ingest;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The per-file job of {@link Ingestor}: reads one input under {@link InputFile}'s rules, cuts a
 * video into segments ({@link VideoSegmenter}) or takes an image, checks each record against the
 * limits, and sends what passes, keeping what it cannot take as rejections. Waiting for Kafka and
 * reporting are the caller's.
 */
final class FileProducer {

    private final Ingestor.Settings settings;
    private final KafkaProducer<String, byte[]> producer;
    private final SegmentLimits segmentLimits;
    private final AvroCodec<VideoClip> clipCodec = AvroCodec.of(VideoClip.class);
    private final AvroCodec<ImageRecord> imageCodec = AvroCodec.of(ImageRecord.class);
    private Consumer<VideoClip> clipListener = c -> {};

    FileProducer(
            Ingestor.Settings settings,
            KafkaProducer<String, byte[]> producer,
            SegmentLimits segmentLimits) {
        this.settings = settings;
        this.producer = producer;
        this.segmentLimits = segmentLimits;
    }

    void onClip(Consumer<VideoClip> listener) {
        this.clipListener = listener;
    }

    /** What became of one file: its records sent (pending), its rejections, its bytes as read. */
    static final class FileResult {
        int clips;
        byte[] bytes;
        final List<IngestReport.Rejection> rejections = new ArrayList<>();
    }

    /** A record sent to Kafka, not yet acknowledged. */
    record Pending(Future<RecordMetadata> future, int size, int segment) {}

    /** Reads, cuts and sends {@code input}; its records go to {@code pending}. */
    FileResult ingestFile(InputFile input, List<Pending> pending) {
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
        return ClipRecords.of(
                probe,
                segment,
                new ClipRecords.Origin(
                        id + "-" + segment.index(),
                        file.toUri().toString(),
                        segment.startMicros(),
                        now,
                        settings.label(),
                        Map.of(
                                "source.container", probe.container(),
                                "source.frames", Integer.toString(probe.frameCount()),
                                "source.duration.micros", Long.toString(probe.durationMicros()))));
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
        send(id, imageCodec.encode(image), 0, pending);
    }

    private void send(String key, byte[] value, int segment, List<Pending> pending) {
        Future<RecordMetadata> f =
                producer.send(new ProducerRecord<>(settings.topic(), key, value));
        pending.add(new Pending(f, value.length, segment));
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
}
