package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.train.TrainingLogEntry;
import java.time.Instant;
import java.time.LocalTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress line's numbers and its two forms: redrawn on a terminal, plain lines otherwise. */
class ProgressLineTest {

    private static TrainingLogEntry entry(long step, long atMillis, long samples, long waitMs) {
        Map<String, Float> losses = new LinkedHashMap<>();
        losses.put("ventral_gabor", 0.4123f);
        losses.put("dorsal_motion", 1.25f);
        return new TrainingLogEntry(
                step,
                Instant.ofEpochMilli(atMillis),
                samples,
                losses,
                1.6623f,
                3e-5,
                2f,
                1000 - waitMs,
                waitMs,
                900,
                false,
                0);
    }

    /** Steps 10 to 14, one every 1.25 s, 4 samples each, 250 ms of each waiting for data. */
    private static List<TrainingLogEntry> window() {
        return List.of(
                entry(10, 0, 40, 250),
                entry(11, 1250, 44, 250),
                entry(12, 2500, 48, 250),
                entry(13, 3750, 52, 250),
                entry(14, 5000, 56, 250));
    }

    @Test
    void statsAreOverTheWindow() {
        ProgressLine.Stats s = ProgressLine.stats(window(), 20, 1);
        assertThat(s.step()).isEqualTo(14);
        assertThat(s.samplesPerSecond()).isEqualTo(16 / 5.0);
        assertThat(s.secondsPerStep()).isEqualTo(1.25);
        assertThat(s.dataWaitShare()).isEqualTo(0.25);
        assertThat(s.total()).isEqualTo(1.6623f);
    }

    @Test
    void theTextHasEveryFigureAndTheEta() {
        String text = ProgressLine.text(ProgressLine.stats(window(), 20, 1));
        assertThat(text)
                .isEqualTo(
                        "step 14/20  3.20 samples/s  wait 25%  loss 1.662 (v.gabor 0.412 d.motion"
                                + " 1.25)  lr 3.0e-05  1.25 s/step  ETA 0:08  1 checkpoint");
        // Without --max-steps: no limit, no ETA.
        assertThat(ProgressLine.text(ProgressLine.stats(window(), 0, 3)))
                .startsWith("step 14  ")
                .doesNotContain("ETA")
                .endsWith("1.25 s/step  3 checkpoints");
    }

    @Test
    void aFirstEntryAloneHasNoRateYet() {
        String text = ProgressLine.text(ProgressLine.stats(List.of(entry(1, 0, 4, 100)), 100, 0));
        assertThat(text).startsWith("step 1/100  - samples/s  wait 10%").contains("1.00 s/step");
        assertThat(text).contains("ETA 1:39");
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlaceAndCutToTheWidth() {
        String text = ProgressLine.text(ProgressLine.stats(window(), 20, 1));
        assertThat(ProgressLine.terminal(text, 200)).isEqualTo("\r" + text + "\u001b[K");
        String narrow = ProgressLine.terminal(text, 40);
        assertThat(narrow).isEqualTo("\r" + text.substring(0, 39) + "\u001b[K");
        assertThat(narrow).doesNotContain("\n");
    }

    @Test
    void elsewhereItIsAPlainLineWithTheTime() {
        String text = ProgressLine.text(ProgressLine.stats(window(), 20, 1));
        assertThat(ProgressLine.plain(LocalTime.of(9, 5, 7), text))
                .isEqualTo("09:05:07 " + text + "\n")
                .doesNotContain("\r")
                .doesNotContain("\u001b");
    }

    @Test
    void beforeTheFirstStepItSaysSo() {
        assertThat(ProgressLine.starting(75, 0))
                .isEqualTo("starting: waiting for the first training step (1:15)");
        assertThat(ProgressLine.duration(3 * 3600 + 62)).isEqualTo("3:01:02");
    }
}
