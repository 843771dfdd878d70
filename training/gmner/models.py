"""Stage-1 tagger and stage-2 prompt classifier on a MiniLM encoder with a word-shape embedding."""
from __future__ import annotations

import os

import torch
from torch import nn

from .encoding import K_OBJECTS, encoder_dir
from .shapes import NUM_SHAPES


def load_bert(attn: str = "sdpa"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import BertModel

    return BertModel.from_pretrained(str(encoder_dir()), add_pooling_layer=False, attn_implementation=attn,
                                     local_files_only=True)


class ShapeEncoder(nn.Module):
    """BERT whose input embedding is word embedding + learned shape embedding (zero-initialised).

    `encoder` replaces the MiniLM with another transformer that takes `inputs_embeds` (gmner.teacher's MPNet)."""

    def __init__(self, attn: str = "sdpa", encoder: nn.Module | None = None):
        super().__init__()
        self.bert = encoder if encoder is not None else load_bert(attn)
        hidden = self.bert.config.hidden_size
        self.shape_emb = nn.Embedding(NUM_SHAPES, hidden)
        nn.init.zeros_(self.shape_emb.weight)
        self.hidden = hidden

    def forward(self, input_ids, attention_mask, shape_ids):
        emb = self.bert.embeddings.word_embeddings(input_ids) + self.shape_emb(shape_ids)
        return self.bert(inputs_embeds=emb, attention_mask=attention_mask).last_hidden_state


class Stage1Model(nn.Module):
    def __init__(self, attn: str = "sdpa", dropout: float = 0.1, encoder: nn.Module | None = None):
        super().__init__()
        self.enc = ShapeEncoder(attn, encoder)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(self.enc.hidden, 3)

    def forward(self, input_ids, attention_mask, shape_ids):
        h = self.enc(input_ids, attention_mask, shape_ids)
        return self.head(self.drop(h))


class Stage2Model(nn.Module):
    def __init__(self, attn: str = "sdpa", dropout: float = 0.1, encoder: nn.Module | None = None):
        super().__init__()
        self.enc = ShapeEncoder(attn, encoder)
        hid = self.enc.hidden
        self.drop = nn.Dropout(dropout)
        self.type_head = nn.Sequential(nn.Linear(hid, hid), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hid, 5))
        self.obj_head = nn.Sequential(nn.Linear(2 * hid, hid), nn.Tanh(), nn.Linear(hid, 1))

    def forward(self, input_ids, attention_mask, shape_ids, mask_index, obj_index):
        h = self.enc(input_ids, attention_mask, shape_ids)
        bsz, _, hid = h.shape
        m = torch.gather(h, 1, mask_index.view(bsz, 1, 1).expand(bsz, 1, hid))  # [B,1,H]
        type_logits = self.type_head(self.drop(m.squeeze(1)))
        o = torch.gather(h, 1, obj_index.unsqueeze(-1).expand(bsz, obj_index.shape[1], hid))  # [B,K,H]
        pair = torch.cat([o, m.expand(bsz, obj_index.shape[1], hid)], dim=-1)
        obj_scores = torch.sigmoid(self.obj_head(pair).squeeze(-1))
        return type_logits, obj_scores


assert K_OBJECTS == 18
