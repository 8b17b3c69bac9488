from django.urls import path

from accounts import views

urlpatterns = [
    path("access-records/", views.AccessRecordListView.as_view(), name="access_records"),
]
