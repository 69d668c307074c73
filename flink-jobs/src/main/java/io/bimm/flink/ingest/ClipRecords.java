package io.bimm.flink.ingest;

import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

/**
 * Builds the {@link VideoClip} record of one cut segment, for file ingest ({@link Ingestor}) and
 * live ingest alike: what differs between them is only the {@link Origin}.
 */
public final class ClipRecords {

    private ClipRecords() {}

    /**
     * Where a segment comes from and what names it.
     *
     * @param clipId the record's key and id
     * @param sourceUri the file's URI, or the live URL without secrets
     * @param startMicros the segment's start time
     * @param ingested when it was ingested
     * @param label the operator's label, or null
     * @param metadata what the source adds ({@code source.*} entries)
     */
    public record Origin(
            String clipId,
            String sourceUri,
            long startMicros,
            Instant ingested,
            String label,
            Map<String, String> metadata) {}

    /** The record of {@code segment} of a stream {@code probe} describes. */
    public static VideoClip of(
            VideoSegmenter.Probe probe, VideoSegmenter.Segment segment, Origin origin) {
        return VideoClip.newBuilder()
                .setClipId(origin.clipId())
                .setSourceUri(origin.sourceUri())
                .setSegmentIndex(segment.index())
                .setContainer(segment.container())
                .setCodec(segment.codec())
                .setData(ByteBuffer.wrap(segment.data()))
                .setFrameRate(probe.frameRate())
                .setWidth(probe.width())
                .setHeight(probe.height())
                .setFrameCount(segment.frameCount() > 0 ? segment.frameCount() : null)
                .setStartMicros(origin.startMicros())
                .setDurationMicros(segment.durationMicros())
                .setIngestTimestamp(origin.ingested())
                .setLabel(origin.label())
                .setMetadata(origin.metadata())
                .build();
    }
}
