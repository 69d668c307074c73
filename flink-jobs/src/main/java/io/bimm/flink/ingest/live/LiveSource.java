package io.bimm.flink.ingest.live;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A live source the operator named on the command line: its URL (handed to FFmpeg as it is), its
 * {@link SourceFamily}, a stable id and a name safe to print.
 *
 * @param url the URL as given, credentials included; only ever passed to FFmpeg
 * @param family what protocols and demuxers it may use
 * @param id first 128 bits of the SHA-256 of the URL, in hex: the prefix of its clip ids
 * @param display the URL with passwords and secret query values replaced by {@code ***}: for
 *     messages, the status line, records and dead letters
 */
public record LiveSource(String url, SourceFamily family, String id, String display) {

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");
    private static final Pattern PASSWORD = Pattern.compile("(//[^/@:?#]*):[^/@?#]*@");
    private static final Pattern SECRET_PARAM =
            Pattern.compile(
                    "([?&][^=&#]*(?:pass|key|token|secret|auth|sig)[^=&#]*=)[^&#]*",
                    Pattern.CASE_INSENSITIVE);

    /** Whether {@code arg} is a URL ({@code scheme:...}) rather than a path. */
    public static boolean isUrl(String arg) {
        Matcher m = SCHEME.matcher(arg);
        // A one-letter "scheme" is a Windows drive; a path has no colon before its first slash.
        return m.find() && m.group(1).length() > 1;
    }

    /**
     * The source for {@code url}.
     *
     * @throws IllegalArgumentException when the URL has no scheme bimm follows
     */
    public static LiveSource of(String url) {
        Matcher m = SCHEME.matcher(url);
        if (!m.find()) {
            throw new IllegalArgumentException(url + " is not a URL");
        }
        SourceFamily family = SourceFamily.ofScheme(m.group(1));
        return new LiveSource(url, family, hash(url), redact(url));
    }

    static String redact(String url) {
        String s = PASSWORD.matcher(url).replaceFirst("$1:***@");
        return SECRET_PARAM.matcher(s).replaceAll("$1***");
    }

    private static String hash(String url) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(url.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return display;
    }
}
