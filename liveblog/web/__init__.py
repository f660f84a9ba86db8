"""Routes, split by who uses them.

Every `{name:int}` in a path is an id of ours, and no id we hand out has more than 18
digits (web/common.MAX_ID): a longer one matches no route (404), rather than reaching a
database that cannot hold it. The converter is set here, before any route is made.
"""

from starlette.convertors import IntegerConvertor, register_url_convertor


class IdConvertor(IntegerConvertor):
    regex = "[0-9]{1,18}"


register_url_convertor("int", IdConvertor())
