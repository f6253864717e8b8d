"""What the route modules share: the documented error answers and the date pattern."""

from __future__ import annotations

from typing import Optional

from huiqi.api.schemas import Error

R401 = {401: {"description": "请先登录 / not logged in", "model": Error}}
R403 = {403: {"description": "角色无权 / the role may not", "model": Error}}
R404 = {404: {"description": "不存在或无权查看 / not found, or out of the user's scope", "model": Error}}
R409 = {409: {"description": "状态不允许 / not allowed in this state", "model": Error}}
R422 = {422: {"description": "输入有误 / invalid input", "model": Error}}
READ = {**R401, **R404, **R422}
LIST = {**R401, **R403, **R422}
WRITE = {**R401, **R403, **R404, **R409, **R422}
TOO_LARGE = {
    413: {"description": "too large", "model": Error},
    415: {"description": "not a .csv or .xlsx file", "model": Error},
}

Date = Optional[str]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
ID = {"ge": 1, "le": 2**31 - 1}
