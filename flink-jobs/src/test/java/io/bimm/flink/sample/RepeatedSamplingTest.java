package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.testutil.Videos;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repeated sampling (SPEC 1): one decode of a record gives R samples, each the sample its own draw
 * gives alone, so every SPEC 1-3 property the single path is tested for holds for each of them.
 */
class RepeatedSamplingTest {
    private static final int S = 32;

    private static PrepOptions options(boolean deterministic, int frames, int r) {
        return PrepOptions.of(
                        DecodeOptions.builder()
                                .optSize(S)
                                .optFrames(frames)
                                .optStride(2)
                                .optDeterministic(deterministic)
                                .build(),
                        7)
                .withRepeatedSampling(r);
    }

    /** Every sample of a repeated draw equals the single-sample path at its draw, to the byte. */
    @ParameterizedTest
    @ValueSource(strings = {"Megamind.avi", "box.mp4", "cup.mp4"})
    void eachSampleIsTheSampleOfItsOwnDraw(String video) throws Exception {
        byte[] data = Videos.bytes(video);
        int r = 4;
        for (int frames : new int[] {4, 16}) {
            PrepOptions repeated = options(false, frames, r);
            List<TrainingSample> record;
            try (SamplePipeline p = new SamplePipeline(repeated)) {
                record = p.processRecord(data, video, 3);
            }
            assertThat(record).hasSize(r);
            try (SamplePipeline single = new SamplePipeline(options(false, frames, 1))) {
                for (int i = 0; i < r; i++) {
                    assertThat(record.get(i).draw).isEqualTo(3 * r + i);
                    assertThat(record.get(i)).isEqualTo(single.process(data, video, 3 * r + i));
                }
            }
            Set<Integer> pixels = new HashSet<>();
            for (TrainingSample s : record) {
                pixels.add(Arrays.hashCode(s.dorsalPixels));
            }
            assertThat(pixels).as("own window and crop per sample").hasSize(r);
        }
    }

    /** R = 1 is the plain method: the record's own draw, as before. */
    @Test
    void oneSampleIsTheRecordsDraw() throws Exception {
        byte[] data = Videos.bytes("box.mp4");
        try (SamplePipeline p = new SamplePipeline(options(false, 4, 1))) {
            List<TrainingSample> record = p.processRecord(data, "box", 5);
            assertThat(record).containsExactly(p.process(data, "box", 5));
            assertThat(record.get(0).draw).isEqualTo(5);
        }
    }

    /**
     * Identical draws (deterministic mode: offset 1, center crop) share frames and their targets;
     * the shared targets equal those computed on their own, and the masks still differ.
     */
    @Test
    void identicalFramesShareTheirTargets() throws Exception {
        byte[] data = Videos.bytes("Megamind.avi");
        List<TrainingSample> record;
        long shared;
        try (SamplePipeline p = new SamplePipeline(options(true, 8, 3))) {
            record = p.processRecord(data, "m", 0);
            shared = p.sharedTargetFrames();
        }
        assertThat(shared).isEqualTo(2 * 8);
        try (SamplePipeline single = new SamplePipeline(options(true, 8, 1))) {
            for (int i = 0; i < 3; i++) {
                assertThat(record.get(i)).isEqualTo(single.process(data, "m", i));
            }
        }
        assertThat(record.get(0).dorsalMaskedIdx).isNotEqualTo(record.get(1).dorsalMaskedIdx);
        assertThat(record.get(0).dorsalPixels).isNotEqualTo(record.get(1).dorsalPixels);
    }

    @Test
    void repeatsOutsideTheRangeAreRefused() {
        assertThatThrownBy(() -> options(false, 4, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prep.repeated-sampling");
        assertThatThrownBy(() -> options(false, 4, PrepOptions.MAX_REPEATED_SAMPLING + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The operator emits a record's R samples together, draws d * R + r. */
    @Test
    void operatorEmitsTheRecordsSamples() throws Exception {
        byte[] data = Videos.bytes("cup.mp4");
        PrepOptions o = options(false, 4, 3);
        List<TrainingSample> direct;
        try (SamplePipeline p = new SamplePipeline(o)) {
            direct = p.processRecord(data, "cup", 2);
        }
        try (OneInputStreamOperatorTestHarness<VideoClip, TrainingSample> h =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new PrepareSampleFunction(o)))) {
            h.open();
            h.processElement(new StreamRecord<>(clip("cup", data, Map.of("bimm.draw", "2"))));
            assertThat(h.extractOutputValues()).containsExactlyElementsOf(direct);
            assertThat(direct).extracting(s -> s.draw).containsExactly(6, 7, 8);
        }
    }

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
}
