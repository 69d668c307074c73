/** Labeled clips through the real decode path into the model's finetuning and feature code. */
package io.bimm.flink.finetune;
