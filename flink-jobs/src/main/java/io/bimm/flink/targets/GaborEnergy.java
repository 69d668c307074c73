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
 * share the Gaussian factor: one pass with it, then one per part, each a 1-D {@code filter2D}. Each
 * diagonal filter's complex response {@code g (*) Re + i g (*) Im} comes from one inverse FFT: the
 * gray frame is padded with {@code BORDER_REFLECT_101} by the largest kernel radius R (14) and
 * transformed once, then multiplied by the precomputed spectrum of each complex kernel. With the
 * padding inside the FFT size N (256 for S = 224), circular correlation equals {@code filter2D}'s
 * linear one on every output pixel, so the result matches it to float rounding. The kernels'
 * spectra are shifted so that the outputs land in the first S rows and columns.
 *
 * <p>The 2-D transforms run as 1-D row transforms with a transpose between them, all FFmpeg's AVTX
 * ({@link RowFft}; about 4x faster per row than OpenCV's {@code dft}, whose 2-D column pass is
 * slower still) except the forward's first (real) pass for the N that AVTX's real transform lacks
 * (odd N or N/2; OpenCV's {@code dft} then). The spectra are kept transposed, (kx, ky), so the
 * inverse's first pass runs along ky and its second only over the S rows kept. The frame is real,
 * so the forward's second pass runs over the rows kx <= N/2 only and the others are their mirrored
 * conjugates ({@code flip}, conjugated inside {@code mulSpectrums}). A separable split does not pay
 * off for the diagonal kernels: their truncated-square support is far from low rank (the singular
 * values of the stacked real and imaginary kernels are still 1e-4 of the first at the 13th term).
 * Magnitude and 8x8 cell means run in OpenCV (SIMD), so no full-size plane is copied into Java.
 *
 * <p>Output layout: (S/8, S/8, 8) row-major float, filter index last. Not thread safe.
 */
public final class GaborEnergy implements AutoCloseable {
    /** Cell size in pixels. */
    public static final int CELL = 8;

    private final int size;
    private final int pad;
    private final int n;

    /** Per diagonal filter: the kernel's spectrum, transposed (kx, ky) and scaled by 1 / N^2. */
    private final Mat[] spectra = new Mat[GaborBank.FILTERS];

    /** The rows kx < H and kx >= H of {@link #spectra}, H = N/2 + 1. */
    private final Mat[] spectraUpper = new Mat[GaborBank.FILTERS];

    private final Mat[] spectraLower = new Mat[GaborBank.FILTERS];

    /** Per separable filter: the shared Gaussian factor, then the real and imaginary wave. */
    private final Mat[][] factors = new Mat[GaborBank.FILTERS][];

    private final Mat grayMat;
    private final Mat sepShared = new Mat();
    private final Mat sepRe = new Mat();
    private final Mat sepIm = new Mat();

    /** (S + 2R, N) real: the padded frame, zero beyond column S + 2R. */
    private final Mat padded;

    private final Mat paddedRoi;

    /** (S + 2R, N) complex (y, kx); the frame is real, so kx < H = N/2 + 1 is all it holds. */
    private final Mat rowSpectrum;

    private final Mat rowSpectrumHalf;

    /** (H, N) complex: the first H columns of the row spectrum transposed, zero beyond S + 2R. */
    private final Mat rowSpectrumT;

    private final Mat rowSpectrumTRoi;

    /** (H, N) complex: the frame's 2-D spectrum, transposed, rows kx < H. */
    private final Mat imageSpectrumT;

    /**
     * (N - H, N) complex: for the rows kx >= H, {@code G(kx, ky) = conj(G(N - kx, N - ky))}; this
     * holds the unconjugated mirror, the conjugate is taken in the product.
     */
    private final Mat mirrored;

    private final Mat mirrorSource;
    private final Mat mirrorSourceColumn0;
    private final Mat mirroredRest;
    private final Mat mirroredColumn0;
    private final Mat product;
    private final RowFft realFft;
    private final RowFft forwardFft;
    private final RowFft inverseFft;
    private final Mat productUpper;
    private final Mat productLower;

    /** (N, N) complex (kx, y): the inverse along ky; only its first S columns are kept. */
    private final Mat columnPass;

    private final Mat columnPassRoi;
    private final Mat columnPassT;
    private final Mat response;
    private final Mat responseRoi;
    private final MatVector planes = new MatVector(2);
    private final Mat energy = new Mat();
    private final Mat cellMeans = new Mat();
    private final Size cellSize;
    private final Point anchor = new Point(-1, -1);
    private final float[] cellSums;

    /** Prepares the filters' spectra for frames of size {@code S x S}, S a multiple of 8. */
    public GaborEnergy(int size) {
        if (size % CELL != 0) {
            throw new IllegalArgumentException("Size must be a multiple of 8: " + size);
        }
        this.size = size;
        this.pad = GaborBank.maxRadius();
        int p = size + 2 * pad;
        this.n = opencv_core.getOptimalDFTSize(p);
        this.cellSums = new float[(size / CELL) * (size / CELL)];
        this.cellSize = new Size(size / CELL, size / CELL);
        this.grayMat = new Mat(size, size, opencv_core.CV_32F);
        this.padded = RowFft.alignedRows(p, n, opencv_core.CV_32F);
        int half = n / 2 + 1;
        int lower = n - half;
        this.rowSpectrum = RowFft.alignedRows(p, n);
        // Where AVTX has no real transform of length N, OpenCV's real dft runs the first pass.
        this.realFft = RowFft.realForwardOrNull(n);
        this.forwardFft = new RowFft(n, false);
        this.inverseFft = new RowFft(n, true);
        this.rowSpectrumT = RowFft.alignedRows(half, n);
        this.imageSpectrumT = RowFft.alignedRows(half, n);
        this.mirrored = new Mat(lower, n, opencv_core.CV_32FC2);
        this.product = RowFft.alignedRows(n, n);
        this.columnPass = RowFft.alignedRows(n, n);
        this.columnPassT = RowFft.alignedRows(size, n);
        this.response = RowFft.alignedRows(size, n);
        try (Rect frame = new Rect(0, 0, p, p);
                Rect halfColumns = new Rect(0, 0, half, p);
                Rect spectrumRows = new Rect(0, 0, p, half);
                Rect source = new Rect(1, 1, n - 1, lower);
                Rect source0 = new Rect(0, 1, 1, lower);
                Rect rest = new Rect(1, 0, n - 1, lower);
                Rect column0 = new Rect(0, 0, 1, lower);
                Rect upperRows = new Rect(0, 0, n, half);
                Rect lowerRows = new Rect(0, half, n, lower);
                Rect kept = new Rect(0, 0, size, n);
                Rect out = new Rect(0, 0, size, size)) {
            this.paddedRoi = new Mat(padded, frame);
            this.rowSpectrumHalf = new Mat(rowSpectrum, halfColumns);
            this.rowSpectrumTRoi = new Mat(rowSpectrumT, spectrumRows);
            this.mirrorSource = new Mat(imageSpectrumT, source);
            this.mirrorSourceColumn0 = new Mat(imageSpectrumT, source0);
            this.mirroredRest = new Mat(mirrored, rest);
            this.mirroredColumn0 = new Mat(mirrored, column0);
            this.productUpper = new Mat(product, upperRows);
            this.productLower = new Mat(product, lowerRows);
            for (int j = 0; j < GaborBank.FILTERS; j++) {
                if (!GaborBank.separable(j)) {
                    spectra[j] = kernelSpectrumT(j);
                    spectraUpper[j] = new Mat(spectra[j], upperRows);
                    spectraLower[j] = new Mat(spectra[j], lowerRows);
                }
            }
            this.columnPassRoi = new Mat(columnPass, kept);
            this.responseRoi = new Mat(response, out);
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

    private Mat kernelSpectrumT(int j) {
        int ks = GaborBank.kernelSize(j);
        int a = ks / 2;
        float[] re = GaborBank.kernel(j, 0);
        float[] im = GaborBank.kernel(j, Math.PI / 2);
        // The inverse row transforms do not scale; the 2-D inverse's 1 / N^2 goes in here.
        float scale = 1f / ((float) n * n);
        // Correlation out(p) = sum_q P(p+q) k(q) is circular convolution with h(r) = k(-r).
        float[] h = new float[n * n * 2];
        for (int i = 0; i < ks; i++) {
            for (int jj = 0; jj < ks; jj++) {
                int qy = i - a;
                int qx = jj - a;
                // Shifted by the padding, so the frame's outputs land in rows and columns
                // [0, S) of the inverse transform.
                int idx = (Math.floorMod(-pad - qy, n) * n + Math.floorMod(-pad - qx, n)) * 2;
                h[idx] = re[i * ks + jj] * scale;
                h[idx + 1] = im[i * ks + jj] * scale;
            }
        }
        Mat hm = new Mat(n, n, opencv_core.CV_32FC2);
        try (FloatPointer fp = new FloatPointer(hm.data())) {
            fp.put(h);
        }
        Mat spec = new Mat();
        opencv_core.dft(hm, spec, 0, 0);
        Mat specT = new Mat();
        opencv_core.transpose(spec, specT);
        hm.close();
        spec.close();
        return specT;
    }

    /**
     * Computes the normalized cell energies of one gray frame.
     *
     * @param gray (S, S) float gray in [0, 1]
     * @param out (S/8, S/8, 8) written from {@code outOffset}
     */
    public void compute(float[] gray, float[] out, int outOffset) {
        try (FloatPointer p = new FloatPointer(grayMat.data())) {
            p.put(gray);
        }
        compute(grayMat, out, outOffset);
    }

    /**
     * As {@link #compute(float[], float[], int)}, from a gray frame already in an (S, S) {@code
     * CV_32F} Mat.
     */
    void compute(Mat gray, float[] out, int outOffset) {
        if (gray.rows() != size || gray.cols() != size || gray.type() != opencv_core.CV_32F) {
            throw new IllegalArgumentException(
                    "Gray frame must be " + size + "x" + size + " CV_32F");
        }
        forwardTransform(gray);
        int cells = size / CELL;
        for (int j = 0; j < GaborBank.FILTERS; j++) {
            if (factors[j] != null) {
                separableResponse(gray, j);
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

    /**
     * Pads the frame (reflect-101 by R) and leaves its 2-D spectrum, transposed, in imageSpectrumT.
     */
    private void forwardTransform(Mat gray) {
        opencv_core.copyMakeBorder(
                gray, paddedRoi, pad, pad, pad, pad, opencv_core.BORDER_REFLECT_101);
        // Along x over the S + 2R rows, then along y over all N columns (zero rows beyond S + 2R).
        if (realFft != null) {
            realFft.rows(padded, rowSpectrum, padded.rows());
        } else {
            opencv_core.dft(
                    padded, rowSpectrum, opencv_core.DFT_ROWS | opencv_core.DFT_COMPLEX_OUTPUT, 0);
        }
        // The frame is real: only the rows kx < H go through the second pass, the rest mirror them.
        opencv_core.transpose(rowSpectrumHalf, rowSpectrumTRoi);
        forwardFft.rows(rowSpectrumT, imageSpectrumT, rowSpectrumT.rows());
        opencv_core.flip(mirrorSource, mirroredRest, -1);
        opencv_core.flip(mirrorSourceColumn0, mirroredColumn0, 0);
    }

    private void separableResponse(Mat gray, int j) {
        Mat[] f = factors[j];
        // One 1-D filter2D per pass: sepFilter2D with a 1-tap partner kernel still runs (and
        // borders) two passes, and measured 2-3x slower per pass.
        pass(gray, sepShared, f[0]);
        pass(sepShared, sepRe, f[1]);
        pass(sepShared, sepIm, f[2]);
    }

    private void pass(Mat src, Mat dst, Mat kernel) {
        opencv_imgproc.filter2D(
                src, dst, opencv_core.CV_32F, kernel, anchor, 0, opencv_core.BORDER_REFLECT_101);
    }

    /** The complex response of diagonal filter j in the first S columns of responseRoi's rows. */
    private void fftResponse(int j) {
        opencv_core.mulSpectrums(imageSpectrumT, spectraUpper[j], productUpper, 0);
        // H (kx, ky) * conj(G (N - kx, N - ky)): the conjugate of the mirror, by the conjB flag.
        opencv_core.mulSpectrums(spectraLower[j], mirrored, productLower, 0, true);
        // Inverse along ky for every kx, keep rows y < S (as columns), then along kx.
        inverseFft.rows(product, columnPass, n);
        opencv_core.transpose(columnPassRoi, columnPassT);
        inverseFft.rows(columnPassT, response, size);
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

    @Override
    public void close() {
        for (Mat[] ms : new Mat[][] {spectraUpper, spectraLower, spectra}) {
            for (Mat m : ms) {
                if (m != null) {
                    m.close();
                }
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
        paddedRoi.close();
        padded.close();
        rowSpectrumHalf.close();
        rowSpectrum.close();
        rowSpectrumTRoi.close();
        rowSpectrumT.close();
        mirrorSource.close();
        mirrorSourceColumn0.close();
        imageSpectrumT.close();
        mirroredRest.close();
        mirroredColumn0.close();
        mirrored.close();
        if (realFft != null) {
            realFft.close();
        }
        forwardFft.close();
        inverseFft.close();
        productUpper.close();
        productLower.close();
        product.close();
        columnPassRoi.close();
        columnPass.close();
        columnPassT.close();
        responseRoi.close();
        response.close();
        planes.close();
        energy.close();
        cellMeans.close();
        cellSize.close();
        anchor.close();
    }
}
