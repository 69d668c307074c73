package io.bimm.flink.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Expands the PATH arguments of {@code bimm ingest} (and {@code embed}, {@code finetune}): files,
 * directories (recursive) and globs, each entry with the tree it was found in (see {@link
 * InputFile} for what may be read of it).
 *
 * <p>Trees are walked without following symlinks, so a link to a directory is never entered and no
 * walk can loop. Every entry that is not a directory is listed, symlinks and special files
 * included, so that {@link InputFile#read} reports each by name and reason instead of dropping it.
 */
public final class InputFiles {

    private InputFiles() {}

    /**
     * The entries named by {@code args}, each once, in argument order (directories sorted). Hidden
     * entries inside directories are skipped.
     *
     * @throws IllegalArgumentException if an argument names nothing that exists
     */
    public static List<InputFile> expand(List<String> args) throws IOException {
        Map<Path, InputFile> files = new LinkedHashMap<>();
        for (String arg : args) {
            Path path = Paths.get(arg);
            if (Files.isDirectory(path)) {
                addTree(path, files);
            } else if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                InputFile f = InputFile.named(path);
                files.putIfAbsent(f.path(), f);
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
        return new ArrayList<>(files.values());
    }

    /** The paths of {@code files}, for messages and tests. */
    public static List<Path> paths(List<InputFile> files) {
        return files.stream().map(InputFile::path).toList();
    }

    private static boolean isGlob(String arg) {
        return arg.indexOf('*') >= 0
                || arg.indexOf('?') >= 0
                || arg.indexOf('[') >= 0
                || arg.indexOf('{') >= 0;
    }

    /**
     * Walks the real directory (a named directory may itself be a link) and lists each entry under
     * the name the user gave, with the real directory as its tree.
     */
    private static void addTree(Path dir, Map<Path, InputFile> files) throws IOException {
        Path root = dir.toRealPath();
        Path named = dir.toAbsolutePath().normalize();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .map(p -> named.resolve(root.relativize(p)))
                    .sorted()
                    .forEach(p -> files.putIfAbsent(p, new InputFile(p, root)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Globs are matched below their longest literal directory prefix, the tree of the matches. */
    private static void addGlob(String glob, Map<Path, InputFile> files) throws IOException {
        String normalized = glob.replace('\\', '/');
        int firstMeta = firstMeta(normalized);
        int slash = normalized.lastIndexOf('/', firstMeta);
        Path base = slash < 0 ? Paths.get(".") : Paths.get(normalized.substring(0, slash + 1));
        if (!Files.isDirectory(base)) {
            return;
        }
        Path root = base.toRealPath();
        Path named = base.toAbsolutePath().normalize();
        String pattern = slash < 0 ? normalized : normalized.substring(slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> matcher.matches(root.relativize(p)))
                    .map(p -> named.resolve(root.relativize(p)))
                    .sorted()
                    .forEach(p -> files.putIfAbsent(p, new InputFile(p, root)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
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
