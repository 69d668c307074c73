package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.testutil.Videos;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class PrepareSampleFunctionTest {
    private static final int S = 32;
    private static final int T = 4;

    private static VideoClip clip(String id, byte[] data, Map<String, String> metadata) {
        return VideoClip.newBuilder()
                .setClipId(id)
                .setSourceUri("file:///" + id)
                .setSegmentIndex(0)
                .setContainer("mp4")
                .setCodec("h264")
                .setData(ByteBuffer.wrap(data))
                .setFrameRate(30)
                .setWidth(0)
                .setHeight(0)
                .setDurationMicros(0)
                .setIngestTimestamp(Instant.EPOCH)
                .setMetadata(metadata)
                .build();
    }

    private static PrepOptions options() {
        return PrepOptions.of(
                DecodeOptions.builder()
                        .optSize(S)
                        .optFrames(T)
                        .optStride(2)
                        .optShortClipPolicy(DecodeOptions.ShortClipPolicy.REJECT)
                        .build(),
                11);
    }

    @Test
    void samplesAndDeadLettersWithTheirReasons() throws Exception {
        PrepareSampleFunction fn = new PrepareSampleFunction(options());
        byte[] random = new byte[5000];
        new Random(2).nextBytes(random);
        try (OneInputStreamOperatorTestHarness<VideoClip, TrainingSample> h =
                ProcessFunctionTestHarnesses.forProcessFunction(fn)) {
            h.processElement(clip("cup", Videos.bytes("cup.mp4"), Map.of()), 0);
            h.processElement(clip("cup", Videos.bytes("cup.mp4"), Map.of("bimm.draw", "1")), 1);
            h.processElement(clip("noise", random, Map.of()), 2);
            byte[] avi = Videos.bytes("Megamind.avi");
            // Header and the first 6 frames: decodes, but the window needs 8.
            h.processElement(clip("short", java.util.Arrays.copyOf(avi, 60_000), Map.of()), 3);

            List<TrainingSample> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).clipId).isEqualTo("cup");
            assertThat(out.get(0).draw).isZero();
            assertThat(out.get(1).draw).isEqualTo(1);
            assertThat(out.get(0).ventralMaskedIdx).hasSize(3); // floor(0.75 * 4)
            assertThat(out.get(0).dorsalMaskedIdx).hasSize(T / 2 * 3); // floor(0.9 * 4) per slot
            assertThat(out.get(0).ventralPixels).hasSize(1 * 16 * 16 * 3);
            assertThat(out.get(0).dorsalMotion).hasSize(T / 2 * 3 * 2 * 16 * 16 * 3);
            ConcurrentLinkedQueue<StreamRecord<DeadLetter>> dead =
                    h.getSideOutput(PrepareSampleFunction.DEAD_LETTERS);
            assertThat(dead).hasSize(2);
            List<DeadLetter> letters = dead.stream().map(StreamRecord::getValue).toList();
            assertThat(letters.get(0).getReasonCode()).isEqualTo(DeadLetterReason.NOT_VIDEO.code());
            assertThat(letters.get(0).getSourceUri()).isEqualTo("file:///noise");
            assertThat(letters.get(0).getKey())
                    .isEqualTo(
                            ByteBuffer.wrap(
                                    "noise".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(letters.get(0).getStage()).isEqualTo("decode");
            assertThat(letters.get(0).getOriginalBytes()).isEqualTo(ByteBuffer.wrap(random));
            assertThat(letters.get(1).getReasonCode()).isEqualTo(DeadLetterReason.TOO_SHORT.code());
            assertThat(letters.get(1).getMessage()).contains("frames");
        }
    }

    @Test
    void operatorOutputEqualsThePipelineOnItsOwn() throws Exception {
        byte[] data = Videos.bytes("box.mp4");
        TrainingSample direct;
        try (SamplePipeline p = new SamplePipeline(options())) {
            direct = p.process(data, "box", 5);
        }
        ProcessOperator<VideoClip, TrainingSample> op =
                new ProcessOperator<>(new PrepareSampleFunction(options()));
        try (OneInputStreamOperatorTestHarness<VideoClip, TrainingSample> h =
                new OneInputStreamOperatorTestHarness<>(op)) {
            h.open();
            h.processElement(new StreamRecord<>(clip("box", data, Map.of("bimm.draw", "5"))));
            assertThat(h.extractOutputValues()).containsExactly(direct);
        }
    }
}
