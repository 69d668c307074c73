/** The {@code bimm} command line: one picocli subcommand per user-facing task. */
package io.bimm.flink.cli;
