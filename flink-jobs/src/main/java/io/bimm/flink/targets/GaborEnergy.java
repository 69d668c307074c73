package io.bimm.flink.targets;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * V1 target (SPEC section 2): Gabor energy of the 8 complex filters, pooled over 8x8 cells and
 * L2-normalized per cell.
 *
 * <p>The axis-aligned filters (theta 0 and pi/2) are separable, and their real and imaginary parts
 * share the Gaussian factor: one pass with it, then one per part, each a 1-D {@code filter2D}. Each diagonal filter's complex
 * response {@code g (*) Re + i g (*) Im} comes from one inverse FFT: the gray frame is padded with
 * {@code BORDER_REFLECT_101} by the largest kernel radius R (14) and transformed once, then
 * multiplied by the precomputed spectrum of each complex kernel. With the padding inside the FFT
 * size N (256 for S = 224), circular correlation equals {@code filter2D}'s linear one on every
 * output pixel, so the result matches it to float rounding. The kernels' spectra are shifted so
 * that the outputs land in the first S rows, the only rows the inverse transform computes.
 * Measured, the separable split does not pay off for the diagonal kernels, whose truncated-square
 * support needs a rank-8 decomposition to stay within float tolerance. Magnitude and 8x8 cell means
 * run in OpenCV (SIMD), so no full-size plane is copied into Java.
 *
 * <p>Output layout: (S/8, S/8, 8) row-major float, filter index last. Not thread safe.
 */
public final class GaborEnergy implements AutoCloseable {
    /** Cell size in pixels. */
    public static final int CELL = 8;

    private final int size;
    private final int pad;
    private final int n;
    private final Mat[] spectra = new Mat[GaborBank.FILTERS];

    /** Per separable filter: the shared Gaussian factor, then the real and imaginary wave. */
    private final Mat[][] factors = new Mat[GaborBank.FILTERS][];

    private final Mat grayMat;
    private final Mat sepShared = new Mat();
    private final Mat sepRe = new Mat();
    private final Mat sepIm = new Mat();
    private final Mat padded;
    private final Mat imageSpectrum = new Mat();
    private final Mat product = new Mat();
    private final Mat response;
    private final Mat responseRoi;
    private final MatVector planes = new MatVector(2);
    private final Mat energy = new Mat();
    private final Mat cellMeans = new Mat();
    private final Size cellSize;
    private final Point anchor = new Point(-1, -1);
    private final float[] paddedBuf;
    private final float[] cellSums;

    /** Prepares the filters' spectra for frames of size {@code S x S}, S a multiple of 8. */
    public GaborEnergy(int size) {
        if (size % CELL != 0) {
            throw new IllegalArgumentException("Size must be a multiple of 8: " + size);
        }
        this.size = size;
        this.pad = GaborBank.maxRadius();
        this.n = opencv_core.getOptimalDFTSize(size + 2 * pad);
        this.padded = new Mat(n, n, opencv_core.CV_32F);
        this.paddedBuf = new float[n * n];
        this.cellSums = new float[(size / CELL) * (size / CELL)];
        this.cellSize = new Size(size / CELL, size / CELL);
        this.grayMat = new Mat(size, size, opencv_core.CV_32F);
        this.response = new Mat(n, n, opencv_core.CV_32FC2);
        try (Rect roi = new Rect(0, 0, size, size)) {
            this.responseRoi = new Mat(response, roi);
        }
        for (int j = 0; j < GaborBank.FILTERS; j++) {
            if (GaborBank.separable(j)) {
                float[][] re = GaborBank.separableFactors(j, 0);
                float[][] im = GaborBank.separableFactors(j, Math.PI / 2);
                // The real and imaginary parts share their Gaussian factor (the column factor for
                // theta 0, the row factor for pi/2): filter with it once, then apply the two
                // wave factors, three passes instead of four. Stored as {shared, waveRe, waveIm}.
                boolean alongX = j % 4 == 0;
                int shared = alongX ? 1 : 0;
                int wave = 1 - shared;
                // filter2D kernels: a row factor is 1 x ks, a column factor ks x 1.
                factors[j] =
                        new Mat[] {
                            vector(re[shared], shared == 0),
                            vector(re[wave], wave == 0),
                            vector(im[wave], wave == 0)
                        };
            } else {
                spectra[j] = kernelSpectrum(j);
            }
        }
    }

    private static Mat vector(float[] v, boolean row) {
        Mat m =
                row
                        ? new Mat(1, v.length, opencv_core.CV_32F)
                        : new Mat(v.length, 1, opencv_core.CV_32F);
        try (FloatPointer p = new FloatPointer(m.data())) {
            p.put(v);
        }
        return m;
    }

    /** FFT size used for frames of this size. */
    public int fftSize() {
        return n;
    }

    /** Cells per side, {@code S / 8}. */
    public int cells() {
        return size / CELL;
    }

    private Mat kernelSpectrum(int j) {
        int ks = GaborBank.kernelSize(j);
        int a = ks / 2;
        float[] re = GaborBank.kernel(j, 0);
        float[] im = GaborBank.kernel(j, Math.PI / 2);
        // Correlation out(p) = sum_q P(p+q) k(q) is circular convolution with h(r) = k(-r).
        float[] h = new float[n * n * 2];
        for (int i = 0; i < ks; i++) {
            for (int jj = 0; jj < ks; jj++) {
                int qy = i - a;
                int qx = jj - a;
                // Shifted by the padding, so the frame's outputs land in rows and columns
                // [0, S) of the inverse transform, which then computes only those S rows.
                int idx = (Math.floorMod(-pad - qy, n) * n + Math.floorMod(-pad - qx, n)) * 2;
                h[idx] = re[i * ks + jj];
                h[idx + 1] = im[i * ks + jj];
            }
        }
        Mat hm = new Mat(n, n, opencv_core.CV_32FC2);
        try (FloatPointer p = new FloatPointer(hm.data())) {
            p.put(h);
        }
        Mat spec = new Mat();
        opencv_core.dft(hm, spec, 0, 0);
        hm.close();
        return spec;
    }

    /**
     * Computes the normalized cell energies of one gray frame.
     *
     * @param gray (S, S) float gray in [0, 1]
     * @param out (S/8, S/8, 8) written from {@code outOffset}
     */
    public void compute(float[] gray, float[] out, int outOffset) {
        padReflect101(gray);
        try (FloatPointer p = new FloatPointer(padded.data())) {
            p.put(paddedBuf);
        }
        opencv_core.dft(padded, imageSpectrum, opencv_core.DFT_COMPLEX_OUTPUT, size + 2 * pad);
        int cells = size / CELL;
        try (FloatPointer p = new FloatPointer(grayMat.data())) {
            p.put(gray);
        }
        for (int j = 0; j < GaborBank.FILTERS; j++) {
            if (factors[j] != null) {
                separableResponse(j);
                opencv_core.magnitude(sepRe, sepIm, energy);
            } else {
                fftResponse(j);
                opencv_core.split(responseRoi, planes);
                opencv_core.magnitude(planes.get(0), planes.get(1), energy);
            }
            // INTER_AREA at an integer factor is the plain mean over each 8x8 cell.
            opencv_imgproc.resize(energy, cellMeans, cellSize, 0, 0, opencv_imgproc.INTER_AREA);
            try (FloatPointer p = new FloatPointer(cellMeans.data())) {
                p.get(cellSums);
            }
            for (int c = 0; c < cellSums.length; c++) {
                out[outOffset + c * GaborBank.FILTERS + j] = cellSums[c];
            }
        }
        normalizeCells(out, outOffset, cells * cells);
    }

    private void separableResponse(int j) {
        Mat[] f = factors[j];
        // One 1-D filter2D per pass: sepFilter2D with a 1-tap partner kernel still runs (and
        // borders) two passes, and measured 2-3x slower per pass.
        pass(grayMat, sepShared, f[0]);
        pass(sepShared, sepRe, f[1]);
        pass(sepShared, sepIm, f[2]);
    }

    private void pass(Mat src, Mat dst, Mat kernel) {
        opencv_imgproc.filter2D(
                src, dst, opencv_core.CV_32F, kernel, anchor, 0, opencv_core.BORDER_REFLECT_101);
    }

    private void fftResponse(int j) {
        opencv_core.mulSpectrums(imageSpectrum, spectra[j], product, 0);
        opencv_core.dft(product, response, opencv_core.DFT_INVERSE | opencv_core.DFT_SCALE, 0);
    }

    /** Divides each cell's 8 values by their L2 norm + 1e-6 (SPEC section 2). */
    static void normalizeCells(float[] out, int offset, int cellCount) {
        for (int c = 0; c < cellCount; c++) {
            int base = offset + c * GaborBank.FILTERS;
            double ss = 0;
            for (int j = 0; j < GaborBank.FILTERS; j++) {
                ss += (double) out[base + j] * out[base + j];
            }
            float scale = (float) (1.0 / (Math.sqrt(ss) + 1e-6));
            for (int j = 0; j < GaborBank.FILTERS; j++) {
                out[base + j] *= scale;
            }
        }
    }

    /**
     * Writes the frame into the N x N buffer at (pad, pad) with reflect-101 borders of width pad.
     */
    private void padReflect101(float[] gray) {
        int s = size;
        for (int py = 0; py < s + 2 * pad; py++) {
            int sy = reflect101(py - pad, s);
            int dst = py * n;
            int src = sy * s;
            for (int px = 0; px < pad; px++) {
                paddedBuf[dst + px] = gray[src + reflect101(px - pad, s)];
            }
            System.arraycopy(gray, src, paddedBuf, dst + pad, s);
            for (int px = s + pad; px < s + 2 * pad; px++) {
                paddedBuf[dst + px] = gray[src + reflect101(px - pad, s)];
            }
        }
    }

    static int reflect101(int i, int len) {
        if (i < 0) {
            return -i;
        }
        if (i >= len) {
            return 2 * len - 2 - i;
        }
        return i;
    }

    @Override
    public void close() {
        for (Mat m : spectra) {
            if (m != null) {
                m.close();
            }
        }
        for (Mat[] f : factors) {
            if (f != null) {
                for (Mat m : f) {
                    m.close();
                }
            }
        }
        grayMat.close();
        sepShared.close();
        sepRe.close();
        sepIm.close();
        padded.close();
        imageSpectrum.close();
        product.close();
        responseRoi.close();
        response.close();
        planes.close();
        energy.close();
        cellMeans.close();
        cellSize.close();
        anchor.close();
    }
}
