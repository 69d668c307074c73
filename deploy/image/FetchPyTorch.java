import ai.djl.engine.Engine;

/**
 * Run at image build time: makes DJL fetch the PyTorch build that PYTORCH_VERSION and
 * PYTORCH_FLAVOR name into DJL_CACHE_DIR, so that TaskManagers start offline.
 */
public class FetchPyTorch {
    public static void main(String[] args) {
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("PyTorch " + engine.getVersion() + " in " + System.getenv("DJL_CACHE_DIR"));
    }
}
