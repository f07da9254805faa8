"""Browsing: the documents, one document with its clauses, one clause."""
from __future__ import annotations

from fastapi import APIRouter, Path, Request

from .deps import ServiceDep
from .errors import ERRORS, error
from .schemas import DocumentDetail, DocumentSummary, ItemDetail

router = APIRouter(tags=["documents"])


@router.get("/api/v1/documents", response_model=list[DocumentSummary], responses=ERRORS)
def documents(qa: ServiceDep) -> list[DocumentSummary]:
    idx = qa.index
    counts: dict[str, int] = {}
    for it in idx.items:
        counts[it.doc_id] = counts.get(it.doc_id, 0) + 1
    return [DocumentSummary(**d.model_dump(), item_count=counts.get(d.id, 0)) for d in idx.documents]


@router.get("/api/v1/documents/{doc_id}", response_model=DocumentDetail, responses=ERRORS)
def document(request: Request, qa: ServiceDep,
             doc_id: str = Path(description="document id or 文号", examples=["xixian-2020", "陕政办发〔2023〕11号"])):
    idx = qa.index
    d = idx.docs_by_id.get(doc_id) or idx.document(doc_id)
    if d is None:
        return error(404, "document_not_found", f"找不到文件：{doc_id}", f"no document {doc_id!r}", request, "doc_id")
    return DocumentDetail(document=d, items=[i for i in idx.items if i.doc_id == d.id])


@router.get("/api/v1/items/{item_id}", response_model=ItemDetail, responses=ERRORS)
def item(request: Request, qa: ServiceDep, item_id: str = Path(examples=["xy-2023-10:s5.17"])):
    idx = qa.index
    it = idx.items_by_id.get(item_id)
    if it is None:
        return error(404, "item_not_found", f"找不到条款：{item_id}", f"no item {item_id!r}", request, "item_id")
    d = idx.docs_by_id[it.doc_id]
    return ItemDetail(item=it, document=d, citation=d.cite(it))
