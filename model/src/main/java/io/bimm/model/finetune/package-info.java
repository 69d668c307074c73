/**
 * Downstream use of a pretrained encoder (paper Algorithm 1, lines 15-16): features without
 * masking, a classifier head, layer-wise lr decay and the finetuning / linear-probe loop.
 */
package io.bimm.model.finetune;
