package io.bimm.flink.train;

import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.train.MaskedBatch;
import java.util.List;

/** Packs {@link TrainingSample}s into the model's {@link MaskedBatch} for one training stage. */
public final class SampleBatches {

    private SampleBatches() {}

    /** The batch of {@code samples}; the stage decides which branches' parts are packed. */
    public static MaskedBatch of(BimmConfig config, Stage stage, List<TrainingSample> samples) {
        MaskedBatch.Builder b = MaskedBatch.builder(config);
        for (TrainingSample s : samples) {
            if (stage != Stage.DORSAL) {
                b.addVentral(
                        s.ventralVisibleIdx,
                        s.ventralMaskedIdx,
                        s.ventralPixels,
                        s.ventralGabor,
                        s.ventralContour,
                        s.ventralRgb);
            }
            if (stage != Stage.VENTRAL) {
                b.addDorsal(
                        s.dorsalVisibleIdx,
                        s.dorsalMaskedIdx,
                        s.dorsalPixels,
                        s.dorsalGabor,
                        s.dorsalContour,
                        s.dorsalMotion);
            }
        }
        return b.build();
    }
}
