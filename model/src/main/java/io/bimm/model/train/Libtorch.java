package io.bimm.model.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the process trains with: the libtorch DJL loaded (version, flavor such as {@code cpu} or
 * {@code cu128}, directory) and the CUDA devices it sees, by name.
 *
 * @param version libtorch version, e.g. {@code 2.7.1}
 * @param flavor {@code cpu}, {@code cuXYZ} or {@code unknown}
 * @param path the directory libtorch was loaded from
 * @param gpuNames the names of the GPUs DJL sees, empty for none
 */
public record Libtorch(String version, String flavor, String path, List<String> gpuNames) {

    private static final Pattern FLAVOR =
            Pattern.compile("(?:^|[-_/])(cpu|cu\\d{2,3}|rocm[\\d.]*)(?:$|[-_/])");

    public Libtorch {
        gpuNames = List.copyOf(gpuNames);
    }

    /** Whether the loaded libtorch is a CUDA build. */
    public boolean isCuda() {
        return flavor.startsWith("cu");
    }

    /** One line for logs: {@code libtorch 2.7.1 (cpu, /path); GPUs: none}. */
    public String describe() {
        return "libtorch "
                + version
                + " ("
                + flavor
                + ", "
                + path
                + "); GPUs: "
                + (gpuNames.isEmpty() ? "none" : String.join(", ", gpuNames));
    }

    /** Loads the engine and reads what it loaded and sees. */
    public static Libtorch detect() {
        Engine engine = Engine.getEngine("PyTorch");
        String path = String.valueOf(LibUtils.getLibtorchPath());
        int gpus = engine.getGpuCount();
        List<String> names = gpus > 0 ? nvidiaSmiNames() : List.of();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            out.add(i < names.size() ? names.get(i) : "gpu" + i);
        }
        return new Libtorch(engine.getVersion(), flavorOf(path), path, out);
    }

    /** The flavor in a libtorch directory name such as {@code 2.7.1-20250812-cpu-linux-x86_64}. */
    static String flavorOf(String path) {
        String env = System.getenv("PYTORCH_FLAVOR");
        if (env != null && !env.isBlank()) {
            return env.trim().toLowerCase(Locale.ROOT);
        }
        Path p = Path.of(path);
        String name = p.getFileName() == null ? path : p.getFileName().toString();
        Matcher m = FLAVOR.matcher(name.toLowerCase(Locale.ROOT));
        return m.find() ? m.group(1) : "unknown";
    }

    /** Whether {@code nvidia-smi} is on the PATH (an NVIDIA driver is installed). */
    public static boolean hasNvidiaSmi() {
        String pathVar = System.getenv("PATH");
        if (pathVar == null) {
            return false;
        }
        for (String dir : pathVar.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Path.of(dir, "nvidia-smi").toFile().canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** GPU names by index from {@code nvidia-smi}, empty when it is absent or fails. */
    public static List<String> nvidiaSmiNames() {
        if (!hasNvidiaSmi()) {
            return List.of();
        }
        try {
            Process p =
                    new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader")
                            .redirectErrorStream(true)
                            .start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            String text = new String(p.getInputStream().readAllBytes()).trim();
            return p.exitValue() == 0 && !text.isEmpty() ? List.of(text.split("\\R")) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
