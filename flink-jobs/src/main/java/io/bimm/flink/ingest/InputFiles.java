package io.bimm.flink.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Expands the PATH arguments of {@code bimm ingest}: files, directories (recursive) and globs. */
public final class InputFiles {

    private InputFiles() {}

    /**
     * The regular files named by {@code args}, each once, in argument order (directories sorted).
     * Hidden files inside directories are skipped.
     *
     * @throws IllegalArgumentException if an argument names nothing that exists
     */
    public static List<Path> expand(List<String> args) throws IOException {
        Set<Path> files = new LinkedHashSet<>();
        for (String arg : args) {
            Path path = Paths.get(arg);
            if (Files.isDirectory(path)) {
                addTree(path, files);
            } else if (Files.exists(path)) {
                files.add(path.toAbsolutePath().normalize());
            } else if (isGlob(arg)) {
                int before = files.size();
                addGlob(arg, files);
                if (files.size() == before) {
                    throw new IllegalArgumentException("No file matches " + arg + ".");
                }
            } else {
                throw new IllegalArgumentException("No such file or directory: " + arg + ".");
            }
        }
        return new ArrayList<>(files);
    }

    private static boolean isGlob(String arg) {
        return arg.indexOf('*') >= 0
                || arg.indexOf('?') >= 0
                || arg.indexOf('[') >= 0
                || arg.indexOf('{') >= 0;
    }

    private static void addTree(Path dir, Set<Path> files) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .map(p -> p.toAbsolutePath().normalize())
                    .sorted()
                    .forEach(files::add);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Globs are matched below their longest literal directory prefix. */
    private static void addGlob(String glob, Set<Path> files) throws IOException {
        String normalized = glob.replace('\\', '/');
        int firstMeta = firstMeta(normalized);
        int slash = normalized.lastIndexOf('/', firstMeta);
        Path base = slash < 0 ? Paths.get(".") : Paths.get(normalized.substring(0, slash + 1));
        if (!Files.isDirectory(base)) {
            return;
        }
        String pattern = slash < 0 ? normalized : normalized.substring(slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> walk = Files.walk(base)) {
            walk.filter(Files::isRegularFile)
                    .filter(p -> matcher.matches(base.relativize(p)))
                    .map(p -> p.toAbsolutePath().normalize())
                    .sorted()
                    .forEach(files::add);
        }
    }

    private static int firstMeta(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[{".indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }
}
