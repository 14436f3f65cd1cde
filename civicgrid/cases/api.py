"""The cases API under /api/v1/cases/: the whole closed loop (create, list, detail, each transition,
timeline, stages, attachments, summons, the audited reporter reveal). Session or token authentication.

Views are thin: a serializer parses the input, ONE service (or selector) is called, the result is rendered.

Errors (documented per operation in the OpenAPI schema at /api/schema/):

- 400 bad input: ``{"<field>": ["…"]}`` for a field, ``{"detail": "…", "code": "…"}`` otherwise;
  an action the case's current state does not allow is a 400 with ``code: "transition_not_allowed"``
  (a deterministic error of the request, not a race: retrying after a reload will not help);
- 403 the user may see the case but not do this;
- 404 no such case *or a case the user may not see* (existence is never revealed);
- 409 ``{"detail": "该事件已被他人更新，请刷新后重试。", "code": "conflict", "current_version": N}`` when
  ``expected_version`` (required in the body of every transition) is not the case's current version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from civicgrid.cases import selectors, services
from civicgrid.cases.models import Attachment, Case, CaseConflict, Category, Summons, SummonsUnit
from civicgrid.cases.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseFilterSerializer,
    CaseListSerializer,
    CaseStageSerializer,
    CategorySerializer,
    ConflictSerializer,
    DeescalateSerializer,
    DispatchSerializer,
    ErrorSerializer,
    FollowUpSerializer,
    HandleSerializer,
    MergeSerializer,
    NoteSerializer,
    ReasonSerializer,
    RegisterSerializer,
    ReporterSerializer,
    SummonSerializer,
    SummonsReportSerializer,
    SummonsSerializer,
    VerifySerializer,
)
from civicgrid.cases.services import TransitionNotAllowed
from civicgrid.people import authorization as authz
from civicgrid.people.models import User

TAG = "cases"
IDEMPOTENCY_KEY_MAX = 80


class CaseJSONParser(JSONParser):
    """JSON with a clear, translated message for a malformed body (DRF's says only "JSON parse error")."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            reason = str(exc.detail).removeprefix("JSON parse error - ")
            raise ParseError(
                _("请求体不是有效的 JSON（%(reason)s）。请检查格式后重试。") % {"reason": reason}, code="malformed_json"
            ) from exc


class CasePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_page_message = gettext_lazy("页码无效。")  # type: ignore[assignment]  # translated per request


# --- documented responses -------------------------------------------------------------------------

_BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=gettext_lazy(
        '输入有误：{"字段": ["说明"]}，或 {"detail": "说明", "code": "…"}'
        "（如 malformed_json、坐标超出本市、附件类型或大小不符）"
    ),
)
_FORBIDDEN = OpenApiResponse(ErrorSerializer, description=gettext_lazy("未登录，或无权执行此操作"))
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("事件不存在或无权查看（不泄露是否存在）"))
_CONFLICT = OpenApiResponse(
    ConflictSerializer, description=gettext_lazy("版本冲突：该事件已被他人更新，请刷新后用新的 version 重试")
)
_TRANSITION_400 = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=gettext_lazy(
        "输入有误（字段错误），或当前状态不允许此操作："
        '{"detail": "…", "code": "transition_not_allowed", "state": "…", "action": "…"}'
    ),
)
_UNSUPPORTED = OpenApiResponse(ErrorSerializer, description=gettext_lazy("不支持的请求体类型（Content-Type）"))
_NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description=gettext_lazy("事件编号，如 420683-20240301-00001")
)
_READ_ERRORS: dict[int, Any] = {401: _FORBIDDEN, 403: _FORBIDDEN, 404: _NOT_FOUND}


class CaseAPIView(GenericAPIView[Case]):
    """Shared plumbing: case lookup (404 when not visible) and the mapping of the services' exceptions."""

    parser_classes = [CaseJSONParser]
    filter_backends: list[Any] = []
    pagination_class: type[BasePagination] | None = None
    queryset = Case.objects.none()

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_case(self, number: str) -> Case:
        try:
            return selectors.case_get(user=self.user, number=number)
        except Case.DoesNotExist:
            raise NotFound(_("事件不存在或您无权查看。")) from None

    def render_case(
        self,
        case: Case,
        *,
        status_code: int = status.HTTP_200_OK,
        reload: bool = True,
        empty_relations: frozenset[str] = frozenset(),
    ) -> Response:
        if reload:
            case = _with_relations(case)
        context = {**self.get_serializer_context(), "empty_relations": empty_relations}
        data = CaseDetailSerializer(case, context=context).data
        return Response(data, status=status_code)

    def parse(self, serializer_class: type[BaseSerializer[Any]], data: Any, **context: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, context={**self.get_serializer_context(), **context})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CaseConflict):
            body = {"detail": str(exc), "code": "conflict", "current_version": exc.current_version}
            return Response(body, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, TransitionNotAllowed):
            body = {
                "detail": exc.messages[0],
                "code": "transition_not_allowed",
                "state": exc.state,
                "action": exc.action,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, DjangoValidationError) and not hasattr(exc, "error_dict"):
            body = {"detail": " ".join(exc.messages), "code": exc.code or "invalid"}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


def _with_relations(case: Case) -> Case:
    """The case with what the detail view shows loaded in one query (services return a bare row)."""
    return (
        Case.objects.select_related(
            "category", "region", "grid", "village", "town", "city", "lead_unit", "owner", "reporter", "merged_into"
        )
        .prefetch_related("tags")
        .get(pk=case.pk)
    )


def _int_or_404(value: str) -> int:
    """Ids in paths are matched as text so that a malformed one gets the API's JSON 404, not an HTML page."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotFound(_("不存在。"))
    return int(value)


def _uploads(files: list[Any]) -> list[tuple[str, Any]]:
    return [(upload.name or "", upload) for upload in files]


# --- list, create, detail -----------------------------------------------------------------------


class _PagedCaseView(CaseAPIView):
    """Lists of cases, paged: ?page=N&page_size=M (at most 200)."""

    pagination_class = CasePagination

    def _page(self, rows: QuerySet[Case]) -> Response:
        page = self.paginate_queryset(rows)
        data = CaseListSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class CaseListCreateView(_PagedCaseView):
    """The cases the user may see, newest first; or take in a new case."""

    serializer_class = CaseCreateSerializer  # what OPTIONS describes for POST
    parser_classes = [CaseJSONParser, MultiPartParser]

    @extend_schema(
        tags=[TAG],
        operation_id="cases_list",
        summary=gettext_lazy("事件列表（可筛选、分页）"),
        parameters=[CaseFilterSerializer],
        responses={200: CaseListSerializer(many=True), 400: _BAD_INPUT, **_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = CaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.cases_visible(user=self.user, **filters.selector_kwargs()).select_related("reporter")
        return self._page(rows)

    @extend_schema(
        tags=[TAG],
        operation_id="cases_create",
        summary=gettext_lazy("上报事件"),
        description=gettext_lazy(
            "工作人员录入事件（网格巡查、来访等）。带 Idempotency-Key 请求头（或 idempotency_key 字段）时，"
            "同一用户用同一键重复提交只建一件：首次返回 201，之后返回 200 和同一事件。"
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=gettext_lazy("幂等键（最多 80 字符），按用户区分"),
            )
        ],
        request={"application/json": CaseCreateSerializer, "multipart/form-data": CaseCreateSerializer},
        responses={
            201: OpenApiResponse(CaseDetailSerializer, description=gettext_lazy("已创建")),
            200: OpenApiResponse(CaseDetailSerializer, description=gettext_lazy("幂等键重复：返回先前创建的事件")),
            400: _BAD_INPUT,
            401: _FORBIDDEN,
            403: _FORBIDDEN,
            415: _UNSUPPORTED,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.parse(CaseCreateSerializer, request.data)
        key = (request.headers.get("Idempotency-Key") or data.pop("idempotency_key") or "").strip()
        data.pop("idempotency_key", None)
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise DRFValidationError({"idempotency_key": [_("幂等键过长（最多 80 个字符）。")]})
        # Keys are scoped to the user: another user's key can neither collide with nor reveal a case.
        scoped = f"api:{self.user.pk}:{key}" if key else None
        data["attachments"] = _uploads(data.get("attachments") or [])
        case = services.case_create(user=self.user, idempotency_key=scoped, **data)
        if case.replayed:
            return self.render_case(case, status_code=status.HTTP_200_OK)
        # A new case comes back from the service with its category, places and reporter loaded, and
        # without tags or files when none were sent: render it without asking the database again.
        empty = frozenset(name for name in ("tags", "attachments") if not data.get(name))
        return self.render_case(case, status_code=status.HTTP_201_CREATED, reload=False, empty_relations=empty)


class CaseTodoView(_PagedCaseView):
    """The cases waiting for the user's own action, most urgent deadline first."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_todo",
        summary=gettext_lazy("我的待办"),
        description=gettext_lazy("等待当前用户处理的事件，到期时间最早的在前。"),
        parameters=[],
        responses={200: CaseListSerializer(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return self._page(selectors.case_todo(user=self.user).select_related("grid", "reporter"))


class CaseDetailView(CaseAPIView):
    """One case with its reporter masked and the actions the user may take now."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_retrieve",
        summary=gettext_lazy("事件详情"),
        parameters=[_NUMBER],
        responses={200: CaseDetailSerializer, **_READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.render_case(self.get_case(number))


class CategoryListView(CaseAPIView):
    """The active case categories (codes for creating and filtering)."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_categories",
        summary=gettext_lazy("事件分类"),
        responses={200: CategorySerializer(many=True), 401: _FORBIDDEN, 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        rows = authz.visible(self.user, Category.objects.filter(is_active=True).select_related("parent"))
        return Response(CategorySerializer(rows.order_by("code"), many=True).data)


# --- transitions ----------------------------------------------------------------------------------


class TransitionView(CaseAPIView):
    """POST one workflow action; the body carries ``expected_version`` (see the module docstring)."""

    action_name = ""

    def post(self, request: Request, number: str) -> Response:
        serializer, service = _TRANSITION_CALLS[self.action_name]
        case = self.get_case(number)
        data = self.parse(serializer, request.data)
        if "attachments" in data:
            data["attachments"] = _uploads(data["attachments"])
        service(user=self.user, case=case, **data)
        return self.render_case(case)


_TRANSITIONS: list[tuple[str, type[BaseSerializer[Any]], Callable[..., Case], Any, bool]] = [
    ("accept", NoteSerializer, services.case_accept, gettext_lazy("受理（首问负责）"), False),
    ("register", RegisterSerializer, services.case_register, gettext_lazy("立案（可同时更正分类）"), False),
    ("reject", ReasonSerializer, services.case_reject, gettext_lazy("不予立案"), False),
    ("merge", MergeSerializer, services.case_merge, gettext_lazy("合并为重复件"), False),
    ("dispatch", DispatchSerializer, services.case_dispatch, gettext_lazy("派遣（主办、协办部门）"), False),
    ("sign-for", NoteSerializer, services.case_sign_for, gettext_lazy("签收"), False),
    ("handle", HandleSerializer, services.case_handle, gettext_lazy("处置反馈（可附证明材料）"), True),
    ("verify", VerifySerializer, services.case_verify, gettext_lazy("现场核查（不通过则返工）"), True),
    ("close", NoteSerializer, services.case_close, gettext_lazy("结案"), False),
    ("follow-up", FollowUpSerializer, services.case_follow_up, gettext_lazy("回访"), False),
    ("reopen", ReasonSerializer, services.case_reopen, gettext_lazy("重新办理（回访不满意后）"), False),
    ("suspend", ReasonSerializer, services.case_suspend, gettext_lazy("挂起"), False),
    ("resume", NoteSerializer, services.case_resume, gettext_lazy("恢复"), False),
    ("escalate", ReasonSerializer, services.case_escalate, gettext_lazy("提级（上报上一级中心）"), False),
    ("deescalate", DeescalateSerializer, services.case_deescalate, gettext_lazy("下派"), False),
]


def _post_for(name: str) -> Callable[..., Response]:
    # A function of its own per action: extend_schema stores the schema on the function object.
    def post(self: TransitionView, request: Request, number: str) -> Response:
        return TransitionView.post(self, request, number)

    post.__name__ = "post"
    post.__doc__ = f"POST /api/v1/cases/<number>/{name}/"
    return post


def _transition_view(
    name: str, serializer: type[BaseSerializer[Any]], service: Callable[..., Case], summary: Any, files: bool
) -> type[TransitionView]:
    request_body: Any = (
        {"application/json": serializer, "multipart/form-data": serializer}
        if files
        else {"application/json": serializer}
    )
    schema = extend_schema(
        tags=[TAG],
        operation_id=f"cases_{name.replace('-', '_')}",
        summary=summary,
        description=gettext_lazy(
            "请求体必须带 expected_version（读到的事件版本）。成功返回更新后的事件；"
            "版本不符返回 409（请刷新后重试）；当前状态不允许此操作返回 400（code 为 transition_not_allowed）。"
        ),
        parameters=[_NUMBER],
        request=request_body,
        responses={
            200: CaseDetailSerializer,
            400: _TRANSITION_400,
            409: _CONFLICT,
            415: _UNSUPPORTED,
            **_READ_ERRORS,
        },
    )
    attrs: dict[str, Any] = {
        "action_name": name,
        "serializer_class": serializer,
        "parser_classes": [CaseJSONParser, MultiPartParser] if files else [CaseJSONParser],
        "post": schema(_post_for(name)),
        "__doc__": f"POST /api/v1/cases/<number>/{name}/",
    }
    return type(f"Case{name.title().replace('-', '')}View", (TransitionView,), attrs)


_TRANSITION_CALLS: dict[str, tuple[type[BaseSerializer[Any]], Callable[..., Case]]] = {
    row[0]: (row[1], row[2]) for row in _TRANSITIONS
}
TRANSITION_VIEWS: dict[str, type[TransitionView]] = {row[0]: _transition_view(*row) for row in _TRANSITIONS}


# --- timeline, stages -----------------------------------------------------------------------------


class CaseTimelineView(CaseAPIView):
    """The case's timeline (流转记录), oldest first."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_timeline",
        summary=gettext_lazy("流转记录（时间线）"),
        parameters=[_NUMBER],
        responses={200: CaseEventSerializer(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        events = selectors.case_timeline(user=self.user, case=self.get_case(number))
        return Response(CaseEventSerializer(events, many=True).data)


class CaseStagesView(CaseAPIView):
    """The stage runs of a case with their deadlines, time spent and on-time flags."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_stages",
        summary=gettext_lazy("办理环节与时限"),
        parameters=[_NUMBER],
        responses={200: CaseStageSerializer(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        stages = selectors.case_stages(user=self.user, case=self.get_case(number))
        return Response(CaseStageSerializer(stages, many=True).data)


# --- attachments --------------------------------------------------------------------------------


class CaseAttachmentsView(CaseAPIView):
    """The attachments of a case; upload one more (those handling the case)."""

    serializer_class = AttachmentUploadSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=[TAG],
        operation_id="cases_attachments_list",
        summary=gettext_lazy("附件列表"),
        parameters=[_NUMBER],
        responses={200: AttachmentSerializer(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        case = self.get_case(number)
        rows = authz.visible(self.user, Attachment.objects.filter(case=case)).select_related("case")
        return Response(AttachmentSerializer(rows.order_by("uploaded_at", "id"), many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="cases_attachments_create",
        summary=gettext_lazy("上传附件"),
        description=gettext_lazy(
            "multipart/form-data；只接受 JPEG、PNG、WebP 图片和 PDF（按内容判断），图片去除 EXIF。"
        ),
        parameters=[_NUMBER],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 400: _BAD_INPUT, 415: _UNSUPPORTED, **_READ_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.get_case(number)
        data = self.parse(AttachmentUploadSerializer, request.data)
        upload = data["file"]
        row = services.attachment_add(
            user=self.user, case=case, filename=upload.name or "", content=upload, purpose=data["purpose"]
        )
        return Response(AttachmentSerializer(row).data, status=status.HTTP_201_CREATED)


class CaseAttachmentDownloadView(CaseAPIView):
    """One attachment's file, for those who may see the case."""

    @extend_schema(
        tags=[TAG],
        operation_id="cases_attachments_download",
        summary=gettext_lazy("下载附件"),
        parameters=[_NUMBER, OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **_READ_ERRORS,
        },
    )
    def get(self, request: Request, number: str, attachment_id: str) -> HttpResponseBase:
        case = self.get_case(number)
        row = authz.visible(self.user, Attachment.objects.filter(case=case, pk=_int_or_404(attachment_id))).first()
        if row is None:
            raise NotFound(_("附件不存在。"))
        return attachment_response(row)


def attachment_response(row: Attachment) -> FileResponse:
    """The stored file as a download; the type is the one sniffed from the content on upload."""
    response = FileResponse(
        row.file.open("rb"), as_attachment=True, filename=row.original_name or row.file.name.rsplit("/", 1)[-1]
    )
    response["Content-Type"] = row.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the reporter's personal data ---------------------------------------------------------------


class ReporterRevealView(CaseAPIView):
    """The reporter unmasked, for those handling the case; every call is audited."""

    serializer_class = ReporterSerializer

    @extend_schema(
        tags=[TAG],
        operation_id="cases_reporter_reveal",
        summary=gettext_lazy("查看上报人完整信息（留痕审计）"),
        description=gettext_lazy("仅办理该事件的人员可用；每次调用都写入审计日志。"),
        parameters=[_NUMBER],
        request=None,
        responses={200: ReporterSerializer, **_READ_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.get_case(number)
        reporter = selectors.reporter_reveal(user=self.user, case=case, request=request._request)
        if reporter is None:
            raise NotFound(_("该事件没有上报人信息。"))
        return Response(ReporterSerializer(reporter).data)


# --- summons (吹哨) -------------------------------------------------------------------------------


def _summons_data(user: User, summons: Summons) -> dict[str, Any]:
    lines = selectors.summons_status(user=user, summons=summons)
    codes = dict(SummonsUnit.objects.filter(summons=summons).values_list("unit_id", "unit__code"))
    return {
        "id": summons.pk,
        "reason": summons.reason,
        "created_at": summons.created_at,
        "units": [
            {
                "unit": codes.get(line.unit_id, ""),
                "unit_name": line.unit_name,
                "due_at": line.due_at,
                "reported_at": line.reported_at,
                "on_time": line.on_time,
                "late": line.late,
            }
            for line in lines
        ],
    }


class CaseSummonsView(CaseAPIView):
    """The summonses (吹哨) of a case with each department's report; summon departments."""

    serializer_class = SummonSerializer

    @extend_schema(
        tags=[TAG],
        operation_id="cases_summonses_list",
        summary=gettext_lazy("吹哨与部门报到情况"),
        parameters=[_NUMBER],
        responses={200: SummonsSerializer(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        case = self.get_case(number)
        rows = authz.visible(self.user, Summons.objects.filter(case=case)).order_by("created_at", "id")
        return Response(SummonsSerializer([_summons_data(self.user, row) for row in rows], many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="cases_summon",
        summary=gettext_lazy("吹哨：召集部门到场报到"),
        parameters=[_NUMBER],
        request={"application/json": SummonSerializer},
        responses={201: SummonsSerializer, 400: _TRANSITION_400, 415: _UNSUPPORTED, **_READ_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.get_case(number)
        data = self.parse(SummonSerializer, request.data)
        summons = services.case_summon(user=self.user, case=case, **data)
        return Response(SummonsSerializer(_summons_data(self.user, summons)).data, status=status.HTTP_201_CREATED)


class SummonsReportView(CaseAPIView):
    """A summoned department reports for duty (报到)."""

    serializer_class = SummonsReportSerializer

    @extend_schema(
        tags=[TAG],
        operation_id="cases_summons_report",
        summary=gettext_lazy("部门报到"),
        description=gettext_lazy("被召集部门的办理人员报到；本人所属的被召集部门记为已报到。"),
        parameters=[_NUMBER, OpenApiParameter("summons_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request={"application/json": SummonsReportSerializer},
        responses={200: SummonsSerializer, 400: _BAD_INPUT, 415: _UNSUPPORTED, **_READ_ERRORS},
    )
    def post(self, request: Request, number: str, summons_id: str) -> Response:
        case = self.get_case(number)
        data = self.parse(SummonsReportSerializer, request.data)
        summons_pk = _int_or_404(summons_id)
        row = (
            authz.visible(self.user, SummonsUnit.objects.filter(summons__case=case, summons_id=summons_pk))
            .filter(unit_id__in=authz.unit_ids(self.user))
            .order_by("reported_at", "unit__code")
            .first()
        )
        if row is None:
            raise NotFound(_("没有召集您所在部门的这次吹哨。"))
        services.summons_report(user=self.user, summons_unit=row, **data)
        return Response(SummonsSerializer(_summons_data(self.user, row.summons)).data)
