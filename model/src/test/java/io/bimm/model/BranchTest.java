package io.bimm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.model.export.EncoderExporter;
import io.bimm.model.train.MaskedBatch;
import org.junit.jupiter.api.Test;

class BranchTest {

    @Test
    void namesDerivedFromABranchAreThePublishedOnes() {
        // Batch keys, loss keys and export file names are a public format: they must not move.
        assertThat(Branch.VENTRAL.key("pixels")).isEqualTo("ventral_pixels");
        assertThat(Branch.DORSAL.key("visible_idx")).isEqualTo("dorsal_visible_idx");
        assertThat(MaskedBatch.V_MASKED).isEqualTo("ventral_masked_idx");
        assertThat(MaskedBatch.D_MOTION).isEqualTo("dorsal_motion");
        assertThat(EncoderExporter.DORSAL_FILE).isEqualTo("encoder-dorsal.safetensors");
        assertThat(EncoderExporter.VENTRAL_FILE).isEqualTo("encoder-ventral.safetensors");
        assertThat(Target.VENTRAL_RGB.key()).isEqualTo("ventral_rgb");
        assertThat(Target.DORSAL_CONTOUR.key()).isEqualTo("dorsal_contour");
    }

    @Test
    void eachTargetBelongsToTheBranchThatFindsItByLevel() {
        for (Target t : Target.values()) {
            assertThat(t.branch().target(t.level())).isSameAs(t);
            assertThat(t.key()).startsWith(t.branch().key() + "_");
        }
        assertThat(Branch.DORSAL.target(2)).isEqualTo(Target.DORSAL_MOTION);
        assertThat(Branch.VENTRAL.target(0)).isEqualTo(Target.VENTRAL_GABOR);
        assertThatThrownBy(() -> Branch.VENTRAL.target(3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tokensAndStagesPerBranch() {
        assertThat(Branch.VENTRAL.tokenValues()).isEqualTo(16 * 16 * 3);
        assertThat(Branch.DORSAL.tokenValues()).isEqualTo(2 * 16 * 16 * 3);
        assertThat(Stage.VENTRAL.uses(Branch.DORSAL)).isFalse();
        assertThat(Stage.JOINT.uses(Branch.DORSAL)).isTrue();
        assertThat(Stage.DORSAL.uses(Branch.VENTRAL)).isFalse();
    }

    @Test
    void parsesUserSpellingAndRefusesOthers() {
        assertThat(Branch.of("Dorsal")).isEqualTo(Branch.DORSAL);
        assertThat(Branch.of("ventral")).isEqualTo(Branch.VENTRAL);
        assertThatThrownBy(() -> Branch.of("dorsl"))
                .hasMessage("Unknown branch 'dorsl', expected ventral or dorsal.");
    }
}
