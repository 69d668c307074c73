package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.sample.ImageSamples;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/**
 * {@code train.image-share} per batch: exact quotas of images and clips, oldest first, the input's
 * bound, the fallback when one topic falls behind, and a batch chosen once stays chosen.
 */
class BatchMixTest {

    private static final int[] NONE = new int[0];

    static TrainingSample image(String id) {
        return sample(id, NONE);
    }

    static TrainingSample clip(String id) {
        return sample(id, new int[] {0});
    }

    private static TrainingSample sample(String id, int[] dorsal) {
        return new TrainingSample(
                id,
                0,
                new int[] {1},
                new int[] {0},
                new byte[0],
                new float[0],
                new byte[0],
                new byte[0],
                dorsal,
                NONE,
                new byte[0],
                new float[0],
                new byte[0],
                new byte[0]);
    }

    /** Samples from a pattern: 'i' an image, 'c' a clip, ids i0, c0, i1, ... */
    private static List<TrainingSample> of(String pattern) {
        List<TrainingSample> out = new ArrayList<>();
        int i = 0;
        int c = 0;
        for (char k : pattern.toCharArray()) {
            out.add(k == 'i' ? image("i" + i++) : clip("c" + c++));
        }
        return out;
    }

    private static List<String> ids(List<TrainingSample> all, int[] sel) {
        List<String> out = new ArrayList<>();
        for (int k : sel) {
            out.add(all.get(k).clipId);
        }
        return out;
    }

    @Test
    void unsetOrSingleTopicSharesTakeTheOldestBatch() {
        for (BatchMix m :
                List.of(
                        BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.empty()),
                        BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.of(1)),
                        BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.of(0)),
                        BatchMix.of(Stage.JOINT, 4, OptionalDouble.of(0)),
                        BatchMix.of(Stage.DORSAL, 4, OptionalDouble.of(0.5)))) {
            List<TrainingSample> w = of("ccic");
            assertThat(m.select(of("cci"))).isNull();
            assertThat(m.select(w)).containsExactly(0, 1, 2, 3);
            assertThat(m.full(w, clip("x"))).isTrue();
            assertThat(m.full(of("cci"), clip("x"))).isFalse();
        }
    }

    @Test
    void aVentralBatchTakesRoundShareTimesBImagesAndTheRestClips() {
        BatchMix m = BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.of(0.3)); // round(1.2) = 1
        assertThat(m.imagesPerBatch()).isEqualTo(1);
        assertThat(m.clipsPerBatch()).isEqualTo(3);
        List<TrainingSample> w = of("iiiccic");
        assertThat(m.select(of("iiicc"))).isNull();
        assertThat(ids(w, m.select(w))).containsExactly("i0", "c0", "c1", "c2");
        // the next image waits while a step runs: the batch's one image is there
        assertThat(m.full(of("cc"), image("x"))).isFalse();
        assertThat(m.full(of("icc"), image("x"))).isTrue();
        assertThat(m.full(of("icc"), clip("x"))).isFalse();
        assertThat(m.full(of("iccc"), clip("x"))).isTrue();
    }

    @Test
    void aJointBatchTakesBClipsAndShareTimesBImages() {
        BatchMix m = BatchMix.of(Stage.JOINT, 4, OptionalDouble.of(0.5));
        assertThat(m.imagesPerBatch()).isEqualTo(2);
        assertThat(m.clipsPerBatch()).isEqualTo(4);
        assertThat(m.size()).isEqualTo(6);
        assertThat(m.select(of("ciciciii"))).isNull(); // 3 clips: no joint batch, ever
        assertThat(ids(of("ciciciic"), m.select(of("ciciciic"))))
                .containsExactly("c0", "i0", "c1", "i1", "c2", "c3");
        assertThat(m.select(of("cicici"))).isNull();
    }

    @Test
    void whenOneTopicFallsBehindTwoBatchesTrainWithWhatIsThere() {
        BatchMix ventral = BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.of(0.5));
        // images ran dry: 8 clips held, one image
        List<TrainingSample> w = of("cccicccc");
        assertThat(ids(w, ventral.select(w))).containsExactly("c0", "c1", "c2", "i0");
        // clips fell behind: images fill up
        List<TrainingSample> w2 = of("iiiiiici");
        assertThat(ids(w2, ventral.select(w2))).containsExactly("i0", "i1", "i2", "c0");
        assertThat(ventral.full(w2, clip("x"))).isTrue();

        BatchMix joint = BatchMix.of(Stage.JOINT, 4, OptionalDouble.of(0.5));
        List<TrainingSample> w3 = of("ccccccci");
        assertThat(ids(w3, joint.select(w3))).containsExactly("c0", "c1", "c2", "c3", "i0");
    }

    @Test
    void theBufferKeepsItsChosenBatchAndDropsExactlyIt() {
        SampleBuffer b =
                new SampleBuffer(BatchMix.of(Stage.VENTRAL, 4, OptionalDouble.of(0.5)), 4, 1, 1);
        of("ccccccc").forEach(b::add);
        b.add(image("i0"));
        // 8 held, no second image: the fallback batch is chosen...
        List<TrainingSample> chosen = b.peekBatch();
        assertThat(chosen).extracting(s -> s.clipId).containsExactly("c0", "c1", "c2", "i0");
        // ...and stays chosen when an image arrives that would have made the exact mix
        b.add(image("i1"));
        assertThat(b.peekBatch()).isEqualTo(chosen);
        b.dropBatch();
        assertThat(b.all()).extracting(s -> s.clipId).containsExactly("c3", "c4", "c5", "c6", "i1");
        assertThat(b.all().stream().filter(ImageSamples::isImage)).hasSize(1);
    }
}
