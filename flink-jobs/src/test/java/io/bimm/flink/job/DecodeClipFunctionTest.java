package io.bimm.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Clips;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.AvroRecordSerializer;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DecodeClipFunctionTest {

    @Test
    void aRecordDeclaringTwoGibIsABadRecordLetterAndTheNextClipStillDecodes() throws Exception {
        byte[] hostile = DeadLetterSinkITCase.twoGibClipId();
        VideoClip clip = Clips.of("fine", new byte[] {1, 2, 3});
        byte[] good = AvroCodec.of(VideoClip.class).encode(clip);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, VideoClip> h =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DecodeClipFunction()))) {
            // VideoClip has no Flink type of its own without flink-avro: give its serializer.
            h.setup(new AvroRecordSerializer<>(VideoClip.class));
            h.open();
            h.processElement(new KafkaRecord("bimm.clips", 0, 5, 1, null, hostile), 1);
            h.processElement(new KafkaRecord("bimm.clips", 0, 6, 1, null, good), 2);
            assertThat(h.extractOutputValues()).containsExactly(clip);
            ConcurrentLinkedQueue<StreamRecord<DeadLetter>> dead = h.getSideOutput(DeadLetters.TAG);
            List<DeadLetter> letters = new ArrayList<>();
            dead.forEach(r -> letters.add(r.getValue()));
            assertThat(letters).hasSize(1);
            DeadLetter d = letters.get(0);
            assertThat(d.getReasonCode()).isEqualTo("bad_record");
            assertThat(d.getStage()).isEqualTo("deserialize");
            assertThat(d.getOffset()).isEqualTo(5L);
            assertThat(d.getMessage())
                    .contains("Cannot decode VideoClip from 19 bytes")
                    .contains("clipId declares 2147483638 bytes, but only 4 remain");
            assertThat(d.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(hostile));
        }
    }
}
