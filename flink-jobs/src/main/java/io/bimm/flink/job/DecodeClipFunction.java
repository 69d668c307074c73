package io.bimm.flink.job;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.AvroRecordTypeInfo;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.VideoClip;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes the Avro value of a Kafka record into a {@link VideoClip}; a value that is not a clip of
 * any shipped schema version goes to the dead-letter side output with reason {@code bad_record}
 * ({@link RecordDecoding}).
 */
public final class DecodeClipFunction extends ProcessFunction<KafkaRecord, VideoClip>
        implements ResultTypeQueryable<VideoClip> {

    private static final long serialVersionUID = 1L;

    private transient AvroCodec<VideoClip> codec;
    private transient Counter records;
    private transient DeadLetterCounters deadLetters;

    @Override
    public void open(OpenContext openContext) {
        codec = AvroCodec.of(VideoClip.class);
        records = getRuntimeContext().getMetricGroup().counter("recordsDecoded");
        deadLetters =
                DeadLetterCounters.register(
                        getRuntimeContext().getMetricGroup(), DeadLetterReason.BAD_RECORD);
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<VideoClip> out) {
        VideoClip clip =
                RecordDecoding.decode(
                        codec, record, deadLetters, letter -> ctx.output(DeadLetters.TAG, letter));
        if (clip == null) {
            return;
        }
        records.inc();
        out.collect(clip);
    }

    @Override
    public TypeInformation<VideoClip> getProducedType() {
        return AvroRecordTypeInfo.VIDEO_CLIP;
    }
}
