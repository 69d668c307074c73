package io.bimm.flink.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.bimm.flink.train.TrainingLog;
import io.bimm.flink.train.TrainingLogEntry;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data of loss-curves.png against the training log it is drawn from. */
class LossCurvesTest {

    private static TrainingLogEntry entry(
            long step, float rgb, float motion, boolean skipped, long samples, long stepMs) {
        Map<String, Float> losses = new LinkedHashMap<>();
        losses.put("ventral_rgb", rgb);
        losses.put("dorsal_motion", motion);
        return new TrainingLogEntry(
                step,
                Instant.ofEpochSecond(1_700_000_000L + step),
                samples,
                losses,
                skipped ? Float.NaN : rgb + motion,
                1e-3 * step,
                1f,
                stepMs,
                100,
                -1,
                skipped,
                skipped ? 1 : 0);
    }

    /** A log as the sink writes it: 30 steps, one skipped by the NaN/Inf guard after step 10. */
    private static List<TrainingLogEntry> writeLog(Path dir) throws Exception {
        List<TrainingLogEntry> written = new ArrayList<>();
        for (long s = 1; s <= 30; s++) {
            written.add(entry(s, 10f / s, 1f + 0.01f * s, false, 4 * s, 400));
            if (s == 10) {
                written.add(entry(10, Float.NaN, Float.NaN, true, 40, 400));
            }
        }
        Path file = dir.resolve(TrainingLog.FILE);
        StringBuilder text = new StringBuilder();
        written.forEach(e -> text.append(e.toJson()).append('\n'));
        Files.writeString(file, text);
        return written;
    }

    @Test
    void eachLossIsTheLogsValuesAgainstTheStepWithoutTheSkippedStep(@TempDir Path dir)
            throws Exception {
        writeLog(dir);
        LossCurves c = LossCurves.of(TrainingLog.read(dir.resolve(TrainingLog.FILE)));

        assertThat(c.losses().keySet()).containsExactly("total", "ventral_rgb", "dorsal_motion");
        LossCurves.Series rgb = c.losses().get("ventral_rgb");
        assertThat(rgb.size()).isEqualTo(30);
        for (int i = 0; i < 30; i++) {
            assertThat(rgb.steps()[i]).isEqualTo(i + 1);
            assertThat(rgb.values()[i]).isCloseTo(10.0 / (i + 1), within(1e-5));
            assertThat(c.losses().get("total").values()[i])
                    .isCloseTo(10.0 / (i + 1) + 1 + 0.01 * (i + 1), within(1e-4));
        }
        assertThat(c.lr().values()[29]).isCloseTo(0.03, within(1e-12));
        // 4 samples per step in 400 ms of step time and 100 ms of data wait: 8 samples/s.
        assertThat(c.samplesPerSecond().values()).hasSize(29).containsOnly(8.0);
        // rgb falls from 10 to 0.33, by more than a factor 10: a log scale.
        assertThat(c.logScale()).isTrue();
    }

    @Test
    void theSmoothedCurveIsADebiasedExponentialMovingAverage(@TempDir Path dir) throws Exception {
        writeLog(dir);
        LossCurves c = LossCurves.of(TrainingLog.read(dir.resolve(TrainingLog.FILE)));
        double[] raw = c.losses().get("ventral_rgb").values();
        double[] smooth = c.smoothed().get("ventral_rgb").values();
        // 30 points: span 3, weight 1 - 2/4 = 0.5.
        double acc = 0;
        double norm = 0;
        for (int i = 0; i < raw.length; i++) {
            acc = 0.5 * acc + 0.5 * raw[i];
            norm = 0.5 * norm + 0.5;
            assertThat(smooth[i]).isCloseTo(acc / norm, within(1e-9));
        }
        assertThat(smooth[0]).isEqualTo(raw[0]);
        assertThat(smooth[29]).isGreaterThan(raw[29]); // a falling curve lags above
    }

    @Test
    void aLongLogIsAveragedIntoAtMostMaxPoints() {
        List<TrainingLogEntry> log = new ArrayList<>();
        int n = 2 * LossCurves.MAX_POINTS;
        for (long s = 1; s <= n; s++) {
            log.add(entry(s, s % 2 == 0 ? 1f : 3f, 1f, false, 4 * s, 400));
        }
        LossCurves c = LossCurves.of(log);
        LossCurves.Series rgb = c.losses().get("ventral_rgb");
        assertThat(rgb.size()).isEqualTo(LossCurves.MAX_POINTS);
        assertThat(rgb.steps()[0]).isEqualTo(1.5);
        assertThat(rgb.values()).containsOnly(2.0);
        // The total (4) is 4 times motion (1), but no loss changes tenfold: a linear scale.
        assertThat(c.logScale()).isFalse();
    }

    @Test
    void anEmptyOrAllSkippedLogHasNothingToDraw() {
        assertThat(LossCurves.of(List.of()).isEmpty()).isTrue();
        assertThat(LossCurves.of(List.of(entry(0, Float.NaN, Float.NaN, true, 0, 10))).isEmpty())
                .isTrue();
    }

    @Test
    void thePictureIsAPngWithBothPanelsHeadless(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Path png = dir.resolve(LossCurvesChart.FILE);
        LossCurvesChart.write(LossCurves.of(TrainingLog.read(dir.resolve(TrainingLog.FILE))), png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(LossCurvesChart.WIDTH);
        assertThat(img.getHeight())
                .isEqualTo(LossCurvesChart.LOSS_HEIGHT + LossCurvesChart.RATE_HEIGHT);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(TrainingLog.FILE, LossCurvesChart.FILE);
        }
    }
}
