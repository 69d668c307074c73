package io.bimm.flink.ingest.live;

import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.SegmentLimits;
import io.bimm.flink.ingest.VideoSegmenter;
import io.bimm.schemas.DeadLetterReason;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Follows one live source until stopped: connects, cuts and sends its segments, and when the source
 * drops, stalls or fails, completes the segment under way and connects again after a capped
 * exponential backoff. It never gives up on a source: every error is reported (once while it
 * repeats) and retried.
 */
final class LiveFollower implements Runnable {

    private final LiveSource source;
    private final Ingestor.Settings settings;
    private final FollowSettings follow;
    private final ClipProducer producer;
    private final SourcePositions positions;
    private final FollowStatus status;
    private final FollowStop stop;
    private final PrintStream err;
    private int cutThisConnection;
    private boolean frameSizeReported;

    LiveFollower(
            LiveSource source,
            Ingestor.Settings settings,
            FollowSettings follow,
            ClipProducer producer,
            SourcePositions positions,
            FollowStatus status,
            FollowStop stop,
            PrintStream err) {
        this.source = source;
        this.settings = settings;
        this.follow = follow;
        this.producer = producer;
        this.positions = positions;
        this.status = status;
        this.stop = stop;
        this.err = err;
    }

    @Override
    public void run() {
        LiveClock clock =
                new LiveClock(
                        source.family().timeline(),
                        positions.get(source.id()),
                        LiveClock.WallClock.SYSTEM);
        Backoff backoff = new Backoff(FollowSettings.FIRST_BACKOFF, follow.reconnectMax());
        String lastProblem = null;
        try (SegmentLimits limits = new SegmentLimits(settings.limits())) {
            LiveSegmenter segmenter =
                    new LiveSegmenter(
                            settings.segmentSeconds(), clock, cut -> accept(cut, clock, limits));
            while (!stop.stopped()) {
                cutThisConnection = 0;
                String problem = connectAndCut(segmenter, limits);
                if (problem == null || stop.stopped()) {
                    break;
                }
                if (cutThisConnection > 0) {
                    backoff.reset();
                }
                Duration wait = backoff.next();
                if (!problem.equals(lastProblem) || cutThisConnection > 0) {
                    err.printf(
                            Locale.ROOT,
                            "bimm: %s: %s; reconnecting (backoff %.1f s, at most %d s)%n",
                            source.display(),
                            problem,
                            wait.toMillis() / 1000.0,
                            follow.reconnectMax().toSeconds());
                    lastProblem = problem;
                }
                if (stop.sleep(wait)) {
                    break;
                }
                status.reconnected();
            }
        }
    }

    /** One connection; null when it ended because following stopped, else what went wrong. */
    private String connectAndCut(LiveSegmenter segmenter, SegmentLimits limits) {
        long maxPixels = (long) settings.limits().maxWidth() * settings.limits().maxHeight();
        try (LiveInput in =
                LiveInput.open(source, follow.readTimeout(), maxPixels, stop::stopped)) {
            VideoSegmenter.Probe probe = LiveSegmenter.probe(in);
            try {
                limits.checkFrameSize(probe.width(), probe.height());
            } catch (IngestException e) {
                if (!frameSizeReported) {
                    // Once: the source is retried (it may be reconfigured), not letter after
                    // letter.
                    producer.reject(source, source.id(), null, e.reason(), e.getMessage());
                    frameSizeReported = true;
                }
                return "its frames are over the limits";
            }
            LiveInput.End end = segmenter.run(in, probe);
            return switch (end) {
                case STOPPED -> null;
                case END_OF_STREAM -> "the stream ended";
                case STALLED ->
                        "no packet for "
                                + follow.readTimeout().toMillis() / 1000.0
                                + " s (read timeout)";
                case ERROR -> "read error (" + in.lastError() + ")";
            };
        } catch (LiveSourceException e) {
            return e.end() == LiveInput.End.STOPPED ? null : e.getMessage();
        } catch (FrameRecorder.Exception e) {
            return "FFmpeg cannot copy its packets into a segment: " + e.getMessage();
        } catch (RuntimeException e) {
            return "internal error: " + e;
        }
    }

    /** A cut segment: checked against the limits, then sent or dead-lettered. */
    private void accept(LiveSegmenter.Cut cut, LiveClock clock, SegmentLimits limits) {
        cutThisConnection++;
        VideoSegmenter.Segment segment = cut.segment();
        String id = ClipProducer.clipId(source, cut.startMicros());
        LiveClock.State state = clock.state();
        try {
            if (segment.data().length > settings.maxClipBytes()) {
                throw new IngestException(
                        DeadLetterReason.OVER_SIZE,
                        "segment "
                                + segment.index()
                                + " is "
                                + segment.data().length
                                + " bytes, over the "
                                + settings.maxClipBytes()
                                + "-byte limit (--max-clip-bytes); a shorter --segment-seconds"
                                + " may help");
            }
            limits.require(segment, id);
            producer.send(source, cut, state);
        } catch (IngestException e) {
            producer.reject(source, id, segment.data(), e.reason(), e.getMessage());
            positions.put(source.id(), state);
        }
    }
}
