package io.bimm.flink.targets;

/**
 * The 8 complex Gabor filters of SPEC section 2 (V1): wavelength 4 and 8 px, orientation 0, pi/4,
 * pi/2, 3pi/4, sigma = 0.56 lambda, gamma = 0.5, kernel size 2*ceil(3 sigma)+1, real part psi = 0,
 * imaginary part psi = pi/2. Values as OpenCV {@code getGaborKernel} defines them (computed in
 * double, stored as float like {@code CV_32F}), written out here so tests can compare against
 * OpenCV independently.
 */
public final class GaborBank {
    /** Number of filters; filter index {@code j = 4 * lambdaIndex + thetaIndex}. */
    public static final int FILTERS = 8;

    static final double[] LAMBDAS = {4, 8};
    static final double[] THETAS = {0, Math.PI / 4, Math.PI / 2, 3 * Math.PI / 4};
    static final double GAMMA = 0.5;

    private GaborBank() {}

    public static double lambda(int j) {
        return LAMBDAS[j / 4];
    }

    public static double theta(int j) {
        return THETAS[j % 4];
    }

    public static double sigma(int j) {
        return 0.56 * lambda(j);
    }

    /** Kernel size {@code 2*ceil(3 sigma)+1}: 15 for lambda 4, 29 for lambda 8. */
    public static int kernelSize(int j) {
        return 2 * (int) Math.ceil(3 * sigma(j)) + 1;
    }

    /** Largest kernel radius over the bank. */
    public static int maxRadius() {
        int r = 0;
        for (int j = 0; j < FILTERS; j++) {
            r = Math.max(r, kernelSize(j) / 2);
        }
        return r;
    }

    /** Whether filter {@code j} is axis-aligned (theta 0 or pi/2), hence exactly separable. */
    public static boolean separable(int j) {
        return j % 2 == 0;
    }

    /**
     * The separable factors of axis-aligned filter {@code j} with phase {@code psi}, in OpenCV's
     * layout: {@code kernel(i, jj) = column[i] * row[jj]}. For theta 0 the wave runs along x (row
     * factor), for theta pi/2 along y (column factor); the other factor is the Gaussian.
     *
     * @return {row (ksize), column (ksize)}
     */
    public static float[][] separableFactors(int j, double psi) {
        if (!separable(j)) {
            throw new IllegalArgumentException("Filter " + j + " is diagonal, not separable.");
        }
        int ks = kernelSize(j);
        int half = ks / 2;
        double sigmaX = sigma(j);
        double sigmaY = sigmaX / GAMMA;
        double ex = -0.5 / (sigmaX * sigmaX);
        double ey = -0.5 / (sigmaY * sigmaY);
        double cscale = 2 * Math.PI / lambda(j);
        boolean alongX = j % 4 == 0;
        float[] row = new float[ks];
        float[] col = new float[ks];
        for (int i = 0; i < ks; i++) {
            int d = half - i; // kernel(half - y, half - x) holds the value at (x, y)
            double wave = Math.exp(ex * d * d) * Math.cos(cscale * d + psi);
            double gauss = Math.exp(ey * d * d);
            row[i] = (float) (alongX ? wave : gauss);
            col[i] = (float) (alongX ? gauss : wave);
        }
        return new float[][] {row, col};
    }

    /**
     * The kernel of filter {@code j} with phase {@code psi}, row-major (ksize, ksize), laid out as
     * OpenCV lays it out (so that {@code filter2D} correlates with it).
     */
    public static float[] kernel(int j, double psi) {
        int ks = kernelSize(j);
        int half = ks / 2;
        double sigmaX = sigma(j);
        double sigmaY = sigmaX / GAMMA;
        double c = Math.cos(theta(j));
        double s = Math.sin(theta(j));
        double ex = -0.5 / (sigmaX * sigmaX);
        double ey = -0.5 / (sigmaY * sigmaY);
        double cscale = 2 * Math.PI / lambda(j);
        float[] k = new float[ks * ks];
        for (int y = -half; y <= half; y++) {
            for (int x = -half; x <= half; x++) {
                double xr = x * c + y * s;
                double yr = -x * s + y * c;
                double v = Math.exp(ex * xr * xr + ey * yr * yr) * Math.cos(cscale * xr + psi);
                k[(half - y) * ks + (half - x)] = (float) v;
            }
        }
        return k;
    }
}
