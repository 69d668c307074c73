package io.bimm.flink.job;

import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.VideoClip;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * Decodes every frame of a clip from its bytes in memory and emits a one-line summary; a clip
 * FFmpeg cannot decode becomes a dead letter. The demo's consumer until training runs.
 */
public final class ClipSummaryFunction extends ProcessFunction<VideoClip, String> {

    private static final long serialVersionUID = 1L;

    private transient Counter clips;
    private transient Counter frames;
    private transient Counter failed;

    @Override
    public void open(OpenContext openContext) {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
        var group = getRuntimeContext().getMetricGroup();
        clips = group.counter("clipsDecoded");
        frames = group.counter("framesDecoded");
        failed = group.addGroup("deadLetters").counter(DeadLetterReason.DECODE_ERROR.code());
    }

    @Override
    public void processElement(VideoClip clip, Context ctx, Collector<String> out) {
        ByteBuffer data = clip.getData().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        int n = 0;
        int w = 0;
        int h = 0;
        try (FFmpegFrameGrabber g =
                new FFmpegFrameGrabber(new ByteArrayInputStream(bytes), bytes.length)) {
            g.start();
            Frame f;
            while ((f = g.grabImage()) != null) {
                n++;
                w = f.imageWidth;
                h = f.imageHeight;
            }
            g.stop();
        } catch (Exception e) {
            failed.inc();
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetter.newBuilder()
                            .setSourceUri(clip.getSourceUri())
                            .setStage("decode")
                            .setReasonCode(DeadLetterReason.DECODE_ERROR.code())
                            .setMessage("clip " + clip.getClipId() + ": " + e.getMessage())
                            .setTimestamp(Instant.now())
                            .setOriginalBytes(ByteBuffer.wrap(bytes))
                            .build());
            return;
        }
        clips.inc();
        frames.inc(n);
        String name = Path.of(URI.create(clip.getSourceUri())).getFileName().toString();
        out.collect(
                String.format(
                        "clip %s  %s segment %d: %s/%s %dx%d, %d frames decoded (%.1f s)",
                        clip.getClipId(),
                        name,
                        clip.getSegmentIndex(),
                        clip.getContainer(),
                        clip.getCodec(),
                        w,
                        h,
                        n,
                        clip.getDurationMicros() / 1e6));
    }
}
