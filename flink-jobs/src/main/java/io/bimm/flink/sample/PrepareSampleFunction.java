package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.job.DeadLetterCounters;
import io.bimm.flink.job.RecordDecoding;
import io.bimm.schemas.AvroRecordTypeInfo;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.bytedeco.opencv.global.opencv_core;

/**
 * The preprocessing operator: {@link VideoClip} in, {@link TrainingSample} out, failures as {@link
 * DeadLetter}s on {@link #DEAD_LETTERS}.
 *
 * <p>Decode, targets and masking are fused in one function on purpose: between them travel the
 * decoded frames (2 x T x S x S x 3 bytes, 4.8 MB per clip at S = 224), which separate operators
 * would copy or serialize, while the sample that leaves is 3.7 MB and already only what the model
 * needs. Scale out with parallelism instead. The per-stage time still shows as metrics.
 *
 * <p>Usage: {@code SingleOutputStreamOperator<TrainingSample> samples = clips.process(new
 * PrepareSampleFunction(options)); DataStream<DeadLetter> dead =
 * samples.getSideOutput(PrepareSampleFunction.DEAD_LETTERS);}
 */
public class PrepareSampleFunction extends ProcessFunction<VideoClip, TrainingSample>
        implements ResultTypeQueryable<TrainingSample> {
    private static final long serialVersionUID = 1L;

    /** Side output of clips that could not become a sample. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("bimm-prep-dead-letters", AvroRecordTypeInfo.DEAD_LETTER);

    /** Metadata key of a clip's draw index (default 0); a re-read clip gets a new crop and mask. */
    public static final String DRAW_KEY = "bimm.draw";

    private final PrepOptions options;

    private transient SamplePipeline pipeline;
    private transient Counter clipsDecoded;
    private transient Counter framesDecoded;
    private transient Counter samplesProduced;
    private transient DeadLetterCounters deadLetters;
    private transient Histogram bytesPerSample;
    private transient Histogram[] stageMillis;
    private transient int lastFrames;

    public PrepareSampleFunction(PrepOptions options) {
        this.options = options;
    }

    @Override
    public void open(OpenContext openContext) {
        // One task slot per core: OpenCV's own thread pool would oversubscribe the cores.
        opencv_core.setNumThreads(1);
        pipeline = new SamplePipeline(options);
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("bimm_prep");
        clipsDecoded = group.counter("clipsDecoded");
        framesDecoded = group.counter("framesDecoded");
        samplesProduced = group.counter("samplesProduced");
        group.meter("framesDecodedPerSecond", new MeterView(framesDecoded));
        // On the operator's own group, as the record decoding's: one metric, reason as a label.
        deadLetters = DeadLetterCounters.register(getRuntimeContext().getMetricGroup());
        bytesPerSample =
                group.histogram("bytesPerSample", new DescriptiveStatisticsHistogram(1000));
        stageMillis = new Histogram[SamplePipeline.STAGES.length];
        for (int i = 0; i < stageMillis.length; i++) {
            stageMillis[i] =
                    group.histogram(
                            SamplePipeline.STAGES[i] + "Millis",
                            new DescriptiveStatisticsHistogram(1000));
        }
        lastFrames = 0;
    }

    @Override
    public void processElement(VideoClip clip, Context ctx, Collector<TrainingSample> out) {
        byte[] data = RecordDecoding.bytes(clip.getData());
        String clipId = String.valueOf(clip.getClipId());
        long[] before = pipeline.stageNanos();
        List<TrainingSample> samples;
        try {
            samples = pipeline.processRecord(data, clipId, draw(clip));
        } catch (DecodeException e) {
            deadLetter(ctx, clip, data, e.reason(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            deadLetter(ctx, clip, data, DeadLetterReason.INTERNAL_ERROR, e.toString());
            return;
        } finally {
            framesDecoded.inc(pipeline.framesDecoded() - lastFrames);
            lastFrames = pipeline.framesDecoded();
        }
        long[] after = pipeline.stageNanos();
        for (int i = 0; i < stageMillis.length; i++) {
            stageMillis[i].update((after[i] - before[i]) / 1_000_000L);
        }
        clipsDecoded.inc();
        // A record's R samples leave in one call: no checkpoint barrier falls between them, so a
        // checkpoint holds a record with all its samples downstream or none of them.
        for (TrainingSample sample : samples) {
            samplesProduced.inc();
            bytesPerSample.update(sample.payloadBytes());
            out.collect(sample);
        }
    }

    private void deadLetter(
            Context ctx, VideoClip clip, byte[] data, DeadLetterReason reason, String message) {
        deadLetters.inc(reason);
        ctx.output(
                DEAD_LETTERS,
                DeadLetter.newBuilder()
                        // Ingest keys records by clip id: the key and the source file locate it.
                        .setKey(
                                ByteBuffer.wrap(
                                        String.valueOf(clip.getClipId())
                                                .getBytes(StandardCharsets.UTF_8)))
                        .setSourceUri(
                                clip.getSourceUri() != null
                                        ? String.valueOf(clip.getSourceUri())
                                        : String.valueOf(clip.getClipId()))
                        .setStage("decode")
                        .setReasonCode(reason.code())
                        .setMessage(message == null ? reason.code() : message)
                        .setTimestamp(Instant.now())
                        .setOriginalBytes(ByteBuffer.wrap(data))
                        .build());
    }

    private static int draw(VideoClip clip) {
        Map<String, String> md = clip.getMetadata();
        String d = md == null ? null : md.get(DRAW_KEY);
        try {
            return d == null ? 0 : Integer.parseInt(d);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void close() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Override
    public TypeInformation<TrainingSample> getProducedType() {
        return TrainingSampleTypeInfo.INSTANCE;
    }
}
