package io.bimm.flink.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws {@link LossCurves} with XChart (headless): the losses against the step, raw (thin, pale)
 * and smoothed (bold) in one colour per loss; below, the learning rate and samples per second on
 * their own axes.
 */
public final class LossCurvesChart {

    /** The picture's file name in a checkpoint directory. */
    public static final String FILE = "loss-curves.png";

    static final int WIDTH = 1000;
    static final int LOSS_HEIGHT = 520;
    static final int RATE_HEIGHT = 300;

    private static final Color[] COLORS = {
        new Color(0x222222),
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
    };

    private LossCurvesChart() {}

    /**
     * Writes the picture of {@code curves} to {@code file} (through a temporary file beside it, so
     * that a reader never sees half a picture).
     *
     * @throws IllegalArgumentException when there is no step to draw
     */
    public static void write(LossCurves curves, Path file) throws IOException {
        BufferedImage picture = render(curves);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".loss-curves-", ".png");
        try {
            ImageIO.write(picture, "png", tmp.toFile());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The picture: the loss panel above the learning-rate and throughput panel. */
    public static BufferedImage render(LossCurves curves) {
        if (curves.isEmpty()) {
            throw new IllegalArgumentException("The training log has no trained step to plot.");
        }
        BufferedImage losses = BitmapEncoder.getBufferedImage(lossChart(curves));
        BufferedImage rates = BitmapEncoder.getBufferedImage(rateChart(curves));
        BufferedImage out =
                new BufferedImage(WIDTH, LOSS_HEIGHT + RATE_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(losses, 0, 0, null);
            g.drawImage(rates, 0, LOSS_HEIGHT, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    static XYChart lossChart(LossCurves curves) {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(LOSS_HEIGHT)
                        .title("Losses (pale: each step; bold: smoothed)")
                        .xAxisTitle("step")
                        .yAxisTitle(curves.logScale() ? "loss (log scale)" : "loss")
                        .build();
        style(chart);
        chart.getStyler().setYAxisLogarithmic(curves.logScale());
        chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
        int i = 0;
        for (Map.Entry<String, LossCurves.Series> e : curves.losses().entrySet()) {
            LossCurves.Series raw = e.getValue();
            if (raw.size() == 0) {
                continue;
            }
            Color c = COLORS[i++ % COLORS.length];
            XYSeries r = line(chart, e.getKey() + " (raw)", raw, pale(c), 0.8f);
            r.setShowInLegend(false);
            line(chart, e.getKey(), curves.smoothed().get(e.getKey()), c, 2.2f);
        }
        return chart;
    }

    static XYChart rateChart(LossCurves curves) {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(RATE_HEIGHT)
                        .title("Learning rate and throughput")
                        .xAxisTitle("step")
                        .yAxisTitle("learning rate")
                        .build();
        style(chart);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().putYAxisGroupDecimalPatternMap(0, "0.0E0");
        chart.getStyler().putYAxisGroupDecimalPatternMap(1, "#,##0.##");
        chart.setYAxisGroupTitle(1, "samples/s");
        if (curves.lr().size() > 0) {
            line(chart, "learning rate", curves.lr(), COLORS[1], 1.6f);
        }
        if (curves.samplesPerSecond().size() > 0) {
            line(chart, "samples/s", curves.samplesPerSecond(), COLORS[2], 1.0f).setYAxisGroup(1);
        }
        return chart;
    }

    private static void style(XYChart chart) {
        Styler s = chart.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setAntiAlias(true);
    }

    private static XYSeries line(
            XYChart chart, String name, LossCurves.Series s, Color color, float width) {
        XYSeries series = chart.addSeries(name, s.steps(), s.values());
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(color);
        series.setLineStyle(new BasicStroke(width));
        return series;
    }

    private static Color pale(Color c) {
        return new Color(
                (c.getRed() + 2 * 255) / 3,
                (c.getGreen() + 2 * 255) / 3,
                (c.getBlue() + 2 * 255) / 3);
    }
}
