/** Export of the branch encoders as safetensors with VideoMAE / timm key names (SPEC 6). */
package io.bimm.model.export;
