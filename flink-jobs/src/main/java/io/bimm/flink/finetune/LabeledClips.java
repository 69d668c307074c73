package io.bimm.flink.finetune;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.model.Branch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A labeled set as one folder per class ({@code DIR/<class>/<files>}, classes in name order, files
 * found recursively), and its clips sampled into encoder tokens.
 *
 * <p>The files are user files read under {@link InputFile}'s rules with {@code DIR} as their tree:
 * class folders that are symlinks are not classes, and a symlink that leaves {@code DIR} is not
 * read.
 */
public final class LabeledClips {

    private final Path root;
    private final List<String> classes;
    private final List<InputFile> files;
    private final int[] labels;

    private LabeledClips(Path root, List<String> classes, List<InputFile> files, int[] labels) {
        this.root = root;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
    }

    /** Reads the folder layout; {@code classes} (may be null) fixes the class order. */
    public static LabeledClips scan(Path root, List<String> classes) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("Not a directory of class folders: " + root);
        }
        Path tree = root.toRealPath();
        List<String> names = classes;
        if (names == null) {
            try (Stream<Path> s = Files.list(root)) {
                names =
                        s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                                .map(p -> p.getFileName().toString())
                                .filter(n -> !n.startsWith("."))
                                .sorted()
                                .toList();
            }
        }
        if (names.size() < 2) {
            throw new IOException(
                    "Need at least two class folders under " + root + ", found " + names);
        }
        List<InputFile> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            Path dir = root.resolve(names.get(c));
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            for (InputFile f : InputFiles.expand(List.of(dir.toString()))) {
                files.add(new InputFile(f.path(), tree));
                labels.add(c);
            }
        }
        if (files.isEmpty()) {
            throw new IOException("No files under the class folders of " + root);
        }
        return new LabeledClips(
                root, List.copyOf(names), files, labels.stream().mapToInt(i -> i).toArray());
    }

    public Path root() {
        return root;
    }

    public List<String> classes() {
        return classes;
    }

    /** The files' paths, in order. */
    public List<Path> files() {
        return InputFiles.paths(files);
    }

    public int size() {
        return files.size();
    }

    public int label(int i) {
        return labels[i];
    }

    /** Every clip's token bytes for one branch and draw, in file order. */
    public byte[][] tokens(ClipTokens sampler, Branch branch, int draw, Progress progress)
            throws IOException {
        byte[][] out = new byte[files.size()][];
        for (int i = 0; i < files.size(); i++) {
            try {
                out[i] = sampler.tokens(files.get(i), branch, draw);
            } catch (DecodeException e) {
                throw new IOException(
                        "Cannot use "
                                + files.get(i).path()
                                + ": "
                                + e.reason().code()
                                + ": "
                                + e.getMessage(),
                        e);
            }
            if (progress != null) {
                progress.update(i + 1, files.size(), "decoding " + root.getFileName());
            }
        }
        if (progress != null) {
            progress.clear();
        }
        return out;
    }
}
