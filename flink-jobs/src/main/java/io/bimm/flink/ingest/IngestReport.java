package io.bimm.flink.ingest;

import io.bimm.schemas.DeadLetterReason;
import java.nio.file.Path;
import java.util.List;

/**
 * What one {@code bimm ingest} run did.
 *
 * @param clips records produced to the clips (or images) topic
 * @param filesIngested input files that produced at least one record
 * @param filesRejected input files that produced none
 * @param rejections every input or segment skipped, with its reason (also on the dead-letter topic)
 * @param bytes encoded bytes produced
 */
public record IngestReport(
        int clips, int filesIngested, int filesRejected, List<Rejection> rejections, long bytes) {

    /** An input file, or one segment of it, that was not ingested. */
    public record Rejection(Path file, DeadLetterReason reason, String message) {
        @Override
        public String toString() {
            return file + ": " + reason.code() + ": " + message;
        }
    }

    /** The public summary line: {@code ingested N clips from M files (K rejected)}. */
    public String summaryLine() {
        return "ingested "
                + clips
                + " clips from "
                + filesIngested
                + " files ("
                + filesRejected
                + " rejected)";
    }
}
