package io.bimm.flink.job;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.sample.ImageSamples;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrainingSampleTypeInfo;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.ImageRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.bytedeco.opencv.global.opencv_core;

/**
 * The images topic's preprocessing: a Kafka record's Avro value into an {@link ImageRecord}, then
 * into a ventral-only {@link TrainingSample} ({@link ImageSamples}). A record that is not an image
 * record becomes a dead letter of stage {@code deserialize} ({@code bad_record}), an image that
 * breaks a limit or does not decode one of stage {@code decode} ({@code not_image}, {@code
 * over_size}, {@code limit_exceeded}, {@code decode_error}), on {@link DeadLetters#TAG}; each is
 * counted in {@link DeadLetterCounters} as the clips' are.
 */
public final class DecodeImageFunction extends ProcessFunction<KafkaRecord, TrainingSample>
        implements ResultTypeQueryable<TrainingSample> {

    private static final long serialVersionUID = 1L;

    private final PrepOptions options;

    private transient AvroCodec<ImageRecord> codec;
    private transient ImageSamples samples;
    private transient Counter imagesDecoded;
    private transient DeadLetterCounters deadLetters;

    public DecodeImageFunction(PrepOptions options) {
        this.options = options;
    }

    @Override
    public void open(OpenContext openContext) {
        opencv_core.setNumThreads(1);
        codec = AvroCodec.of(ImageRecord.class);
        samples = new ImageSamples(options);
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("bimm_prep");
        imagesDecoded = group.counter("imagesDecoded");
        deadLetters = DeadLetterCounters.register(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<TrainingSample> out) {
        ImageRecord image =
                RecordDecoding.decode(
                        codec, record, deadLetters, letter -> ctx.output(DeadLetters.TAG, letter));
        if (image == null) {
            return;
        }
        String id = String.valueOf(image.getId());
        byte[] data = RecordDecoding.bytes(image.getData());
        TrainingSample sample;
        try {
            sample = samples.process(data, id, 0);
        } catch (DecodeException e) {
            deadLetter(ctx, record, image, data, e.reason(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            deadLetter(ctx, record, image, data, DeadLetterReason.INTERNAL_ERROR, e.toString());
            return;
        }
        imagesDecoded.inc();
        out.collect(sample);
    }

    private void deadLetter(
            Context ctx,
            KafkaRecord record,
            ImageRecord image,
            byte[] data,
            DeadLetterReason reason,
            String message) {
        deadLetters.inc(reason);
        DeadLetter letter =
                DeadLetters.of(record, "decode", reason, message == null ? reason.code() : message);
        letter.setKey(
                ByteBuffer.wrap(String.valueOf(image.getId()).getBytes(StandardCharsets.UTF_8)));
        letter.setSourceUri(String.valueOf(image.getSourceUri()));
        letter.setOriginalBytes(ByteBuffer.wrap(data));
        ctx.output(DeadLetters.TAG, letter);
    }

    @Override
    public void close() throws Exception {
        if (samples != null) {
            samples.close();
        }
    }

    @Override
    public TypeInformation<TrainingSample> getProducedType() {
        return TrainingSampleTypeInfo.INSTANCE;
    }
}
